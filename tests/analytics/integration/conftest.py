from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from crm_analytics.bootstrap import SERVICE
from crm_analytics.config import MIGRATIONS_DIR, SERVICE_NAME
from crm_platform.migrations import upgrade
from crm_platform.settings import ServiceSettings
from crm_platform.testing.processes import free_port
from crm_platform.testing.servers import PostgresServer
from crm_platform.testing.tokens import write_jwks

from tests.analytics.integration.harness import EventPublisher, RunningAnalytics


@pytest.fixture
def settings(database_url: str, amqp_url: str, tmp_path: Path) -> ServiceSettings:
    upgrade(MIGRATIONS_DIR, database_url)
    return ServiceSettings(
        service=SERVICE_NAME,
        database_url=database_url,
        amqp_url=amqp_url,
        port=free_port(),
        metrics_port=0,
        jwks_file=write_jwks(tmp_path / "jwks.json"),
    )


@pytest.fixture
def publisher(amqp_url: str) -> Iterator[EventPublisher]:
    publisher = EventPublisher(amqp_url)
    yield publisher
    publisher.close()


@pytest.fixture
def analytics(settings: ServiceSettings, publisher: EventPublisher) -> Iterator[RunningAnalytics]:
    running = RunningAnalytics(SERVICE.build(settings)).start()
    yield running
    running.close()


@pytest.fixture
def fresh_database_url(
    request: pytest.FixtureRequest, database_url: str, tmp_path: Path
) -> Iterator[str]:
    """Another empty database of the same kind as `database_url`."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'rebuilt.db'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_instance")
    url = server.create_database()
    yield url
    server.drop_database(url)
