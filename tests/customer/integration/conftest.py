"""A migrated database (PostgreSQL and SQLite) and a real gRPC server in this process."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import grpc
import pytest
from crm_customer.adapters.unit_of_work import SqlUnitOfWork
from crm_customer.config import MIGRATIONS_DIR
from crm_customer.entrypoints import grpc_api
from crm_customer.service_layer.handlers import CustomerHandlers
from crm_platform.db import build_engine, ping, session_factory
from crm_platform.grpc_server import GrpcServer
from crm_platform.migrations import upgrade
from crm_platform.readiness import Readiness
from crm_proto.crm.customer.v1 import customer_pb2_grpc
from sqlalchemy import Engine


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    upgrade(MIGRATIONS_DIR, database_url)
    engine = build_engine(database_url, pool_size=4)
    yield engine
    engine.dispose()


@pytest.fixture
def stub(engine: Engine) -> Iterator[customer_pb2_grpc.CustomerServiceStub]:
    sessions = session_factory(engine)
    handlers = CustomerHandlers(lambda: SqlUnitOfWork(sessions), phone_region="US")
    readiness = Readiness({"database": lambda: ping(engine)})
    readiness.check_now()
    server = GrpcServer([grpc_api.binding(handlers)], port=0, readiness=readiness, host="127.0.0.1")
    stop = threading.Event()
    thread = threading.Thread(target=server.run, args=(stop,), kwargs={"grace": 1.0})
    thread.start()
    channel = grpc.insecure_channel(f"127.0.0.1:{server.port}")
    try:
        grpc.channel_ready_future(channel).result(timeout=10)
        yield customer_pb2_grpc.CustomerServiceStub(channel)
    finally:
        channel.close()
        stop.set()
        thread.join(timeout=10)
