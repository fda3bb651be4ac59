# Guanxi CRM. `make run` and `make test` set everything up themselves on a machine with
# Python 3.11 and the servers (PostgreSQL, RabbitMQ, Redis).
SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
PROTO_FILES := $(shell find proto -name '*.proto')
STUBS := libs/crm_proto/src/crm_proto/.generated
# SERVICES_WITH_DB, from the registry of services (make generate)
include deploy/services.mk

.PHONY: setup proto generate run migrate demo test test-slow test-unit test-integration test-system lint format bench clean

setup: .venv/.synced $(STUBS)

.venv/.synced: pyproject.toml uv.lock $(wildcard libs/*/pyproject.toml services/*/pyproject.toml)
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	$(UV) sync --frozen
	@touch $@

$(STUBS): $(PROTO_FILES) libs/crm_proto/generate.py .venv/.synced
	$(UV) run python libs/crm_proto/generate.py
	@touch $@

proto: .venv/.synced
	$(UV) run python libs/crm_proto/generate.py
	@touch $(STUBS)

# The Procfile, compose, Prometheus, RabbitMQ and Kubernetes files from the registry
# (libs/crm_platform/src/crm_platform/registry.py) and deploy/templates; they are committed.
generate: setup
	$(UV) run python deploy/generate.py

migrate: setup
	@for service in $(SERVICES_WITH_DB); do $(UV) run crm-$$service migrate || exit 1; done

# The first admin, created on the first start only (change the password, or set your own).
run: export CRM_BOOTSTRAP_ADMIN_EMAIL ?= admin@example.com
run: export CRM_BOOTSTRAP_ADMIN_PASSWORD ?= change-me-now
# Mail to case: the service's SMTP listener (marketing's mail sink takes 2525).
run: export CRM_SERVICE_MAIL_PORT ?= 2526
run: migrate
	$(UV) run crm preflight
	$(UV) run honcho start -f Procfile

# Python 3.11 keeps one AST recursion counter per interpreter, so two threads parsing at once
# (werkzeug compiling an app's routes while a server thread formats a traceback, whose carets
# come from ast.parse) can fail with "AST constructor recursion depth mismatch". Tracebacks
# without column ranges parse nothing.
test test-slow test-unit test-integration test-system: export PYTHONNODEBUGRANGES := 1

# Every layer but the slow suites, or one layer (tests/conftest.py marks each test); more
# pytest options: PYTEST_ARGS=...
test: setup
	$(UV) run pytest -m "not slow" $(PYTEST_ARGS)

# The suites marked slow: the fault suite (each test lays out and breaks a system of its own),
# the cold start, several API processes and the console in a real browser
test-slow: setup
	$(UV) run pytest -m slow $(PYTEST_ARGS)

test-unit: setup
	$(UV) run pytest -m "not integration and not system" $(PYTEST_ARGS)

test-integration: setup
	$(UV) run pytest -m integration $(PYTEST_ARGS)

test-system: setup
	$(UV) run pytest -m system $(PYTEST_ARGS)

lint: setup
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	$(UV) run mypy libs/crm_platform/src services/*/src deploy/generate.py

format: setup
	$(UV) run ruff format .
	$(UV) run ruff check --fix .

bench: migrate
	$(UV) run python -m bench

# The demo company, through the API of a running system (`make run` in another shell)
demo: setup
	$(UV) run python -m demo

clean:
	rm -rf .venv .crm libs/crm_proto/src/crm_proto/crm libs/crm_proto/src/crm_proto/io $(STUBS)
