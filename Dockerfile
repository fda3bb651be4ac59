# syntax=docker/dockerfile:1.7
# The image of every Guanxi service, built from the repository root with the service's name:
#   docker build --build-arg SERVICE=customer -t guanxi/customer:dev .
# ENTRYPOINT is `crm-<SERVICE>`; without arguments it runs the service's default (every role in
# one process; the portal's HTTP API). Roles: all|api|relay|consumer|jobs|migrate, as the
# service has them. Ports are the registry's (libs/crm_platform/src/crm_platform/registry.py).

ARG PYTHON_IMAGE=python:3.11.13-slim-bookworm
ARG UV_IMAGE=ghcr.io/astral-sh/uv:0.13.9

FROM ${UV_IMAGE} AS uv

FROM ${PYTHON_IMAGE} AS base
COPY --from=uv /uv /usr/local/bin/uv
ENV UV_FROZEN=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3.11 \
    UV_PROJECT_ENVIRONMENT=/app/.venv

# ---- manifests: only what dependency resolution reads (uv.lock and every pyproject.toml), so
#      the dependency layer below stays cached until one of them changes -----------------------
FROM base AS manifests
WORKDIR /src
COPY . .
RUN mkdir /manifests \
 && find . -name pyproject.toml -exec cp --parents {} /manifests/ \; \
 && cp uv.lock /manifests/

# ---- build: dependencies from uv.lock, stubs generated from proto/, the workspace members ----
FROM base AS build
ARG SERVICE
RUN test -n "${SERVICE}" || { echo "build with --build-arg SERVICE=<name>" >&2; exit 1; }
WORKDIR /app
COPY --from=manifests /manifests/ ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --no-dev --no-install-workspace --package crm-${SERVICE}
COPY . .
# The stub generator needs the dev group (grpcio-tools, mypy-protobuf): it gets a throwaway
# environment that never reaches the final image.
RUN --mount=type=cache,target=/root/.cache/uv \
    UV_PROJECT_ENVIRONMENT=/tmp/protoc-env uv sync --only-group dev --no-install-workspace \
 && PATH=/tmp/protoc-env/bin:$PATH /tmp/protoc-env/bin/python libs/crm_proto/generate.py \
 && rm -rf /tmp/protoc-env
# Workspace members are installed editable: migrations are found beside the installed source
# (services/<name>/migrations). Byte-code is compiled now: the root filesystem is read-only.
# /app/entrypoint is the service's command, so ENTRYPOINT needs no shell to pick it.
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --no-dev --package crm-${SERVICE} \
 && python -m compileall -q libs services/${SERVICE} \
 && ln -s .venv/bin/crm-${SERVICE} /app/entrypoint

# ---- runtime: interpreter, virtual environment and sources; no compilers, no uv -------------
FROM ${PYTHON_IMAGE} AS runtime
ARG SERVICE
LABEL org.opencontainers.image.title="guanxi-${SERVICE}" \
      org.opencontainers.image.description="Guanxi CRM ${SERVICE} service"
RUN groupadd --system --gid 10001 crm \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin crm \
 && mkdir -p /data \
 && chown 10001:10001 /data
COPY --from=build /app/.venv /app/.venv
COPY --from=build /app/libs /app/libs
COPY --from=build /app/services/${SERVICE} /app/services/${SERVICE}
COPY --from=build /app/entrypoint /app/entrypoint
# CRM_DATA_DIR only matters without a database URL (SQLite); mount a volume there to keep it.
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    CRM_DATA_DIR=/data \
    CRM_SERVICE=${SERVICE}
WORKDIR /app
USER 10001:10001
# /readyz on the metrics port (the registry's, unless CRM_<SERVICE>_METRICS_PORT says otherwise)
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; from crm_platform.registry import service; s = service(os.environ['CRM_SERVICE']); port = os.environ.get(f'CRM_{s.name.upper()}_METRICS_PORT', s.metrics_port); urllib.request.urlopen(f'http://127.0.0.1:{port}/readyz', timeout=2)"]
ENTRYPOINT ["/app/entrypoint"]
