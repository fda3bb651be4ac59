"""Reading what the customer service wrote: outbox events and row counts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc
import pytest
import sqlalchemy as sa
from crm_customer.adapters.unit_of_work import SqlUnitOfWork
from crm_customer.config import SERVICE_NAME
from crm_platform.events import Event, decode
from crm_platform.grpc_errors import ErrorDetails, details_of
from crm_platform.service import unit_of_work_factory
from crm_platform.tables import outbox
from crm_proto.crm.customer.v1 import events_pb2  # noqa: F401 - registers the event types
from sqlalchemy import Engine


def outbox_events(engine: Engine) -> list[Event]:
    with engine.connect() as connection:
        rows = connection.execute(sa.select(outbox.c.payload).order_by(outbox.c.seq)).all()
    return [decode(row.payload) for row in rows]


def outbox_types(engine: Engine) -> list[str]:
    return [event.type.rsplit(".", 1)[-1] for event in outbox_events(engine)]


def row_count(engine: Engine, table: str) -> int:
    with engine.connect() as connection:
        return int(connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())  # noqa: S608


def rpc_error(call: Any, request: Any) -> ErrorDetails:
    """The error details of a call that must fail."""
    with pytest.raises(grpc.RpcError) as error:
        call(request, timeout=10)
    return details_of(error.value)


def unit_of_work(engine: Engine) -> Callable[[], SqlUnitOfWork]:
    """The service's units of work over `engine`, as its bootstrap makes them."""
    return unit_of_work_factory(SqlUnitOfWork, engine, SERVICE_NAME)
