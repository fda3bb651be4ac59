"""The whole system as real processes (`crm_platform.testing.stack`), for a test module: every
service of the registry, each with its own PostgreSQL database when it owns one, sharing a
RabbitMQ virtual host made for the module, with the tests' bootstrap admin.
"""

from __future__ import annotations

from pathlib import Path

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
    "servers_or_skip",
]

ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "system-test-admin-password"


def servers_or_skip(
    postgres: PostgresServer | str, rabbit: RabbitServer | str
) -> tuple[PostgresServer, RabbitServer]:
    """The test servers; without one, the test skips (fails in CI) with its fixture's reason."""
    if isinstance(postgres, str):
        unavailable(postgres)
    if isinstance(rabbit, str):
        unavailable(rabbit)
    return postgres, rabbit


def build_stack(postgres: PostgresServer, rabbit: RabbitServer, log_dir: Path) -> Stack:
    return Stack(
        postgres, rabbit, log_dir, ADMIN_EMAIL, ADMIN_PASSWORD,
        settings={"CRM_PORTAL_WORKERS": "2"},
    )  # fmt: skip


def destroy_stack(stack: Stack, postgres: PostgresServer, rabbit: RabbitServer) -> None:
    """Stop the stack and remove its databases and virtual host (from the servers it was
    built on: `postgres` and `rabbit` are those)."""
    assert stack.postgres is postgres
    assert stack.rabbit is rabbit
    stack.destroy()
