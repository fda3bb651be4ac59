"""A migrated database (PostgreSQL and SQLite) and a real gRPC server in this process (the
customer and loyalty services, the default program), which verifies access tokens signed with
the test key; `stub` sends an admin's token on every call unless a call names its own
`authorization` metadata."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import pytest
from crm_customer.config import MIGRATIONS_DIR
from crm_customer.domain.loyalty import LoyaltyProgram
from crm_customer.entrypoints import grpc_api, loyalty_api
from crm_customer.service_layer.handlers import CustomerHandlers
from crm_customer.service_layer.loyalty import LoyaltyHandlers
from crm_platform.access import policy_of
from crm_platform.db import build_engine, ping
from crm_platform.migrations import upgrade
from crm_platform.testing.grpc_servers import serving
from crm_platform.testing.tokens import admin_token, authorized_channel
from crm_proto.crm.customer.v1 import customer_pb2, customer_pb2_grpc, loyalty_pb2
from sqlalchemy import Engine

from tests.customer.integration.support import unit_of_work


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    upgrade(MIGRATIONS_DIR, database_url)
    engine = build_engine(database_url, pool_size=4)
    yield engine
    engine.dispose()


@pytest.fixture
def target(engine: Engine) -> Iterator[str]:
    """The address of a customer gRPC server over `engine`."""
    handlers = CustomerHandlers(unit_of_work(engine), phone_region="US")
    loyalty = LoyaltyHandlers(unit_of_work(engine), LoyaltyProgram())
    bindings = [grpc_api.binding(handlers), loyalty_api.binding(loyalty)]
    policy = policy_of(
        customer_pb2.DESCRIPTOR.services_by_name["CustomerService"],
        loyalty_pb2.DESCRIPTOR.services_by_name["LoyaltyService"],
    )
    with serving(bindings, policy, database=lambda: ping(engine)) as target:
        yield target


@pytest.fixture
def channel(target: str) -> Iterator[grpc.Channel]:
    """A channel without credentials: each call says which token it sends, if any."""
    channel = grpc.insecure_channel(target)
    try:
        grpc.channel_ready_future(channel).result(timeout=10)
        yield channel
    finally:
        channel.close()


@pytest.fixture
def stub(channel: grpc.Channel) -> customer_pb2_grpc.CustomerServiceStub:
    """Calls as an admin (subject ADMIN_SUBJECT) unless a call sends its own token."""
    return customer_pb2_grpc.CustomerServiceStub(authorized_channel(channel, admin_token()))
