# Guanxi CRM. `make run` and `make test` set everything up themselves on a machine with
# Python 3.11 and the servers (PostgreSQL, RabbitMQ, Redis).
SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
PROTO_FILES := $(shell find proto -name '*.proto')
STUBS := libs/crm_proto/src/crm_proto/.generated
SERVICES_WITH_DB := customer analytics portal

.PHONY: setup proto run migrate test lint format bench clean

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

migrate: setup
	@for service in $(SERVICES_WITH_DB); do $(UV) run crm-$$service migrate || exit 1; done

# The first admin, created on the first start only (change the password, or set your own).
run: export CRM_BOOTSTRAP_ADMIN_EMAIL ?= admin@example.com
run: export CRM_BOOTSTRAP_ADMIN_PASSWORD ?= change-me-now
run: migrate
	$(UV) run crm preflight
	$(UV) run honcho start -f Procfile

test: setup
	$(UV) run pytest

lint: setup
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	$(UV) run mypy libs/crm_platform/src services/*/src

format: setup
	$(UV) run ruff format .
	$(UV) run ruff check --fix .

bench: migrate
	$(UV) run python -m bench

clean:
	rm -rf .venv .crm libs/crm_proto/src/crm_proto/crm libs/crm_proto/src/crm_proto/io $(STUBS)
