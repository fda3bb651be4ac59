"""A migrated sales database (PostgreSQL and SQLite) and a real sales gRPC server in this
process, verifying tokens signed with the test key. Each call names its own token: staff by
role, or a customer by id. The customer service behind order placement is `customers`, a
table of standings (tests/system run the real one)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from uuid import UUID

import grpc
import pytest
from crm_platform.access import policy_of
from crm_platform.db import build_engine, ping
from crm_platform.migrations import upgrade
from crm_platform.service import unit_of_work_factory
from crm_platform.testing.grpc_servers import serving
from crm_proto.crm.sales.v1 import sales_pb2_grpc
from crm_sales.adapters.unit_of_work import SqlUnitOfWork
from crm_sales.config import MIGRATIONS_DIR, SERVICE_NAME
from crm_sales.entrypoints import grpc_api
from crm_sales.service_layer.handlers import OrderHandlers
from crm_sales.service_layer.ports import CustomerStanding
from sqlalchemy import Engine


class KnownCustomers(dict[UUID, CustomerStanding]):
    """Customer id -> standing; any other id is unknown."""

    def standing(self, customer_id: UUID) -> CustomerStanding:
        return self.get(customer_id, CustomerStanding.UNKNOWN)


@pytest.fixture
def customers() -> KnownCustomers:
    return KnownCustomers()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    upgrade(MIGRATIONS_DIR, database_url)
    engine = build_engine(database_url, pool_size=4)
    yield engine
    engine.dispose()


def unit_of_work(engine: Engine) -> Callable[[], SqlUnitOfWork]:
    return unit_of_work_factory(SqlUnitOfWork, engine, SERVICE_NAME)


@pytest.fixture
def target(engine: Engine, customers: KnownCustomers) -> Iterator[str]:
    """The address of a sales gRPC server over `engine`, serving the orders."""
    bindings = [grpc_api.binding(OrderHandlers(unit_of_work(engine), customers))]
    with serving(bindings, policy_of(grpc_api.SERVICE), database=lambda: ping(engine)) as target:
        yield target


@pytest.fixture
def stub(target: str) -> Iterator[sales_pb2_grpc.SalesServiceStub]:
    """Calls without a token: each call sends its caller's (`metadata=bearer(token)`)."""
    channel = grpc.insecure_channel(target)
    try:
        grpc.channel_ready_future(channel).result(timeout=10)
        yield sales_pb2_grpc.SalesServiceStub(channel)
    finally:
        channel.close()
