"""A migrated sales database (PostgreSQL and SQLite) and a real sales gRPC server in this
process, verifying tokens signed with the test key. Each call names its own token: staff by
role, or a customer by id. The customer service behind order placement is `customers`, a
table of standings (tests/system run the real one)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from uuid import UUID

import grpc
import pytest
from crm_platform.auth import grpc_authenticator
from crm_platform.db import build_engine, ping
from crm_platform.grpc_server import GrpcServer
from crm_platform.migrations import upgrade
from crm_platform.readiness import Readiness
from crm_platform.service import unit_of_work_factory
from crm_platform.testing.processes import role_in_thread
from crm_platform.testing.tokens import token_verifier
from crm_proto.crm.sales.v1 import sales_pb2_grpc
from crm_sales.adapters.unit_of_work import SqlUnitOfWork
from crm_sales.config import MIGRATIONS_DIR, SERVICE_NAME
from crm_sales.entrypoints import grpc_api
from crm_sales.entrypoints.authorization import POLICY
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
    """The address of a sales gRPC server over `engine`."""
    readiness = Readiness({"database": lambda: ping(engine)})
    readiness.check_now()
    server = GrpcServer(
        [grpc_api.binding(OrderHandlers(unit_of_work(engine), customers))],
        port=0,
        readiness=readiness,
        authenticate=grpc_authenticator(token_verifier()),
        policy=POLICY,
        host="127.0.0.1",
    )
    with role_in_thread(functools.partial(server.run, grace=1.0)):
        yield f"127.0.0.1:{server.port}"


@pytest.fixture
def stub(target: str) -> Iterator[sales_pb2_grpc.SalesServiceStub]:
    """Calls without a token: each call sends its caller's (`metadata=bearer(token)`)."""
    channel = grpc.insecure_channel(target)
    try:
        grpc.channel_ready_future(channel).result(timeout=10)
        yield sales_pb2_grpc.SalesServiceStub(channel)
    finally:
        channel.close()
