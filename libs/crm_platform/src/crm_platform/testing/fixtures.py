"""pytest fixtures for real servers, loaded for every test (`-p crm_platform.testing.fixtures`).

- `postgres_url`: a fresh PostgreSQL database for the test, dropped afterwards;
- `sqlite_url`: a fresh SQLite file;
- `database_url`: the test runs twice, on PostgreSQL and on SQLite;
- `amqp_url`: a fresh RabbitMQ virtual host for the test, deleted afterwards.

Without a server the test skips with the reason, or fails with it in CI (`testing.required`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from crm_platform.testing.required import unavailable
from crm_platform.testing.servers import (
    PostgresServer,
    RabbitServer,
    postgres_server,
    rabbit_server,
)


@pytest.fixture(scope="session")
def postgres_instance() -> Iterator[PostgresServer | str]:
    with postgres_server() as server:
        yield server


@pytest.fixture(scope="session")
def rabbit_instance() -> Iterator[RabbitServer | str]:
    with rabbit_server() as server:
        yield server


@pytest.fixture
def postgres_url(postgres_instance: PostgresServer | str) -> Iterator[str]:
    if isinstance(postgres_instance, str):
        unavailable(postgres_instance)
    url = postgres_instance.create_database()
    yield url
    postgres_instance.drop_database(url)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture(params=["postgresql", "sqlite"])
def database_url(request: pytest.FixtureRequest) -> str:
    name = "postgres_url" if request.param == "postgresql" else "sqlite_url"
    return str(request.getfixturevalue(name))


@pytest.fixture
def amqp_url(rabbit_instance: RabbitServer | str) -> Iterator[str]:
    if isinstance(rabbit_instance, str):
        unavailable(rabbit_instance)
    url = rabbit_instance.create_vhost()
    yield url
    rabbit_instance.delete_vhost(url)
