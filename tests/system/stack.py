"""The whole system as real processes (`crm_platform.testing.stack`): every service of the
registry, each with its own PostgreSQL database when it owns one, sharing a RabbitMQ virtual
host made for the stack, with the tests' bootstrap admin. One stack serves every module
(tests/system/conftest.py); a module that changes what is company-wide (routing rules, sales
teams) or needs a fresh system has one of its own (`running_stack`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest
from crm_platform.testing.required import unavailable
from crm_platform.testing.servers import PostgresServer, RabbitServer
from crm_platform.testing.stack import BIN, GRPC_SERVICES, SERVICES_WITH_DB, Stack

__all__ = [
    "ADMIN_EMAIL",
    "ADMIN_PASSWORD",
    "BIN",
    "GRPC_SERVICES",
    "SERVICES_WITH_DB",
    "Stack",
    "build_stack",
    "destroy_stack",
    "running_stack",
    "servers_or_skip",
]

ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "system-test-admin-password"
NO_LIMIT = "100000/minute"


def servers_or_skip(
    postgres: PostgresServer | str, rabbit: RabbitServer | str
) -> tuple[PostgresServer, RabbitServer]:
    """The test servers; without one, the test skips (fails in CI) with its fixture's reason."""
    if isinstance(postgres, str):
        unavailable(postgres)
    if isinstance(rabbit, str):
        unavailable(rabbit)
    return postgres, rabbit


def build_stack(
    postgres: PostgresServer,
    rabbit: RabbitServer,
    log_dir: Path,
    settings: Mapping[str, str] | None = None,
) -> Stack:
    """A stack with the tests' admin; `settings` over the tests' own for every process."""
    return Stack(
        postgres, rabbit, log_dir, ADMIN_EMAIL, ADMIN_PASSWORD,
        # one stack serves many modules: the tests' one admin and one address are not limited
        # as a person would be (the limits have tests of their own, tests/portal)
        settings={"CRM_PORTAL_WORKERS": "2", "CRM_PORTAL_RATE_LIMIT": NO_LIMIT,
                  "CRM_PORTAL_LOGIN_LIMIT_PER_ADDRESS": NO_LIMIT,
                  "CRM_PORTAL_REGISTRATION_LIMIT": NO_LIMIT, **(settings or {})},
    )  # fmt: skip


def running_stack(
    postgres_instance: PostgresServer | str,
    rabbit_instance: RabbitServer | str,
    tmp_path_factory: pytest.TempPathFactory,
    settings: Mapping[str, str] | None = None,
    env: Callable[[Stack], Mapping[str, Mapping[str, str]]] | None = None,
) -> Iterator[Stack]:
    """A whole system, migrated and started, for a fixture to yield; removed afterwards.
    `settings` are for every process; `env(stack)` gives a service's own, over them (such as
    the stack's gateway address, known once the stack is laid out)."""
    postgres, rabbit = servers_or_skip(postgres_instance, rabbit_instance)
    stack = build_stack(postgres, rabbit, tmp_path_factory.mktemp("stack"), settings)
    try:
        stack.migrate()
        stack.start_all(env=env(stack) if env is not None else None)
        yield stack
    except Exception:
        print(stack.logs())
        raise
    finally:
        destroy_stack(stack, postgres, rabbit)


def destroy_stack(stack: Stack, postgres: PostgresServer, rabbit: RabbitServer) -> None:
    """Stop the stack and remove its databases and virtual host (from the servers it was
    built on: `postgres` and `rabbit` are those)."""
    assert stack.postgres is postgres
    assert stack.rabbit is rabbit
    stack.destroy()
