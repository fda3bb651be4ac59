"""Every test gets its layer's marker from where it lives, so none can be left out of a layer:
tests/<part>/integration/** is `integration`, tests/system/** is `system`, tests/deploy/** is
`deploy`, the rest is `unit`. A test elsewhere that uses a real server (a PostgreSQL database,
a RabbitMQ virtual host, Redis) is `integration` too, so the unit layer needs no server.

    pytest -m "not integration and not system"   # unit (and deploy)
    pytest -m integration
    pytest -m system
"""

from __future__ import annotations

from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
# The fixtures that reach a real server (crm_platform.testing.fixtures, and the portal's Redis).
SERVER_FIXTURES = frozenset(
    {"postgres_instance", "rabbit_instance", "postgres_url", "amqp_url", "redis_url"}
)


def layer_of(item: pytest.Item) -> str:
    path = item.path.resolve()
    parts = path.relative_to(TESTS).parts if path.is_relative_to(TESTS) else ("",)
    if parts[0] in ("system", "deploy"):
        return parts[0]
    if "integration" in parts[1:-1] or uses_a_server(item):
        return "integration"
    return "unit"


def uses_a_server(item: pytest.Item) -> bool:
    names = set(getattr(item, "fixturenames", ()))
    if names & SERVER_FIXTURES:
        return True
    # `database_url` runs each test twice: on PostgreSQL (a server) and on SQLite.
    callspec = getattr(item, "callspec", None)
    return callspec is not None and callspec.params.get("database_url") == "postgresql"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        item.add_marker(layer_of(item))
