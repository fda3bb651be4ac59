"""A migrated marketing database (PostgreSQL and SQLite) and a real marketing gRPC server in this
process, verifying tokens signed with the test key. Each call names its own token."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from uuid import UUID

import grpc
import pytest
from crm_marketing.adapters.tracking_links import SignedLinks
from crm_marketing.adapters.unit_of_work import SqlUnitOfWork
from crm_marketing.config import MIGRATIONS_DIR, SERVICE_NAME
from crm_marketing.entrypoints import (
    campaigns_api,
    catalog_api,
    contacts_api,
    forms_api,
    pricing_api,
)
from crm_marketing.entrypoints.authorization import POLICY
from crm_marketing.service_layer.campaigns import CampaignHandlers, TrackingHandlers
from crm_marketing.service_layer.catalog import CatalogHandlers
from crm_marketing.service_layer.contacts import ContactQueries
from crm_marketing.service_layer.forms import FormHandlers
from crm_platform import privacy
from crm_platform.db import build_engine, ping
from crm_platform.errors import Unavailable
from crm_platform.migrations import upgrade
from crm_platform.service import unit_of_work_factory
from crm_platform.testing.grpc_servers import serving
from crm_platform.testing.tokens import bearer
from sqlalchemy import Engine

LINKS = SignedLinks("https://crm.example.com", "integration-test-secret", "unsub@example.com")


class NoNeighbours:
    """Analytics, away (the tests of this server need no segment)."""

    def members(self, segment_id: UUID) -> list[UUID]:
        raise Unavailable("no analytics service here")


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    upgrade(MIGRATIONS_DIR, database_url)
    engine = build_engine(database_url, pool_size=4)
    yield engine
    engine.dispose()


def unit_of_work(engine: Engine) -> Callable[[], SqlUnitOfWork]:
    return unit_of_work_factory(SqlUnitOfWork, engine, SERVICE_NAME)


@pytest.fixture
def target(engine: Engine) -> Iterator[str]:
    """The address of a marketing gRPC server over `engine`, as its api role serves."""
    catalog = CatalogHandlers(unit_of_work(engine))
    bindings = [
        catalog_api.binding(catalog),
        pricing_api.binding(catalog),
        forms_api.binding(FormHandlers(unit_of_work(engine))),
        contacts_api.binding(ContactQueries(unit_of_work(engine))),
        *campaigns_api.bindings(
            CampaignHandlers(unit_of_work(engine), NoNeighbours(), LINKS),
            TrackingHandlers(unit_of_work(engine), LINKS),
        ),
        privacy.binding(SERVICE_NAME, unit_of_work(engine), privacy.collect_records),
    ]
    with serving(bindings, POLICY, database=lambda: ping(engine)) as target:
        yield target


@pytest.fixture
def channel(target: str) -> Iterator[grpc.Channel]:
    """Calls without a token: each call sends its caller's (`metadata=bearer(token)`)."""
    channel = grpc.insecure_channel(target)
    try:
        grpc.channel_ready_future(channel).result(timeout=10)
        yield channel
    finally:
        channel.close()


def call(rpc: Any, token: str | None, request: Any) -> Any:
    return rpc(request, metadata=bearer(token) if token else None, timeout=10)
