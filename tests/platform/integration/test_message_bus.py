"""The unit of work collects the events of the aggregates its repositories saw, runs the
in-process handlers, and writes the events to the outbox at commit, by the context's principal."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import sqlalchemy as sa
from crm_platform import context
from crm_platform.context import Principal
from crm_platform.events import decode
from crm_platform.tables import outbox
from crm_platform.uow import MessageBus, UnitOfWork
from crm_proto.crm.common.v1 import common_pb2
from google.protobuf.message import Message
from google.protobuf.wrappers_pb2 import StringValue

from tests.platform.integration.conftest import SOURCE, Database

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class Placed:
    order: str


@dataclass(frozen=True)
class Reserved:
    order: str


@dataclass
class Order:
    id: str
    events: list[Any] = field(default_factory=list)

    def pull_events(self) -> list[Any]:
        pulled, self.events = self.events, []
        return pulled


class OrdersUnit(UnitOfWork):
    """A service's unit of work: its repository tracks what it adds; its events go out as
    StringValues naming the event, the order and the actor."""

    def add(self, order: Order) -> None:
        self.track(order)

    def outbox_message(self, event: Any, actor: common_pb2.Actor) -> tuple[Message, str]:
        text = f"{type(event).__name__} {event.order} by {actor.subject}"
        return StringValue(value=text), event.order


def published(db: Database) -> list[str]:
    with db.engine.connect() as connection:
        rows = connection.execute(sa.select(outbox.c.payload).order_by(outbox.c.seq)).all()
    return [decode(row.payload).message.value for row in rows]  # type: ignore[attr-defined]


def units(db: Database, bus: MessageBus | None = None) -> Callable[[], OrdersUnit]:
    return lambda: OrdersUnit(db.sessions, SOURCE, bus)


def test_the_events_of_every_tracked_aggregate_are_written_at_commit_by_the_principal(
    db: Database,
) -> None:
    clerk = Principal("clerk-1", kind=common_pb2.ACTOR_KIND_STAFF)
    with context.acting_as(clerk), units(db)() as uow:
        first, second = Order("o-1", [Placed("o-1")]), Order("o-2", [Placed("o-2")])
        uow.add(first)
        uow.add(second)
        uow.add(first)  # seen twice, collected once
        uow.commit()

    assert published(db) == ["Placed o-1 by clerk-1", "Placed o-2 by clerk-1"]


def test_nothing_is_written_without_a_commit(db: Database) -> None:
    with units(db)() as uow:
        uow.add(Order("o-1", [Placed("o-1")]))

    assert published(db) == []


def test_in_process_handlers_run_in_the_transaction_and_their_events_are_collected(
    db: Database,
) -> None:
    bus = MessageBus()

    def reserve(uow: OrdersUnit, event: Placed) -> None:
        uow.add(Order(f"{event.order}-stock", [Reserved(event.order)]))

    bus.on(Placed, reserve)
    with units(db, bus)() as uow:
        uow.add(Order("o-1", [Placed("o-1")]))
        uow.commit()

    assert published(db) == ["Placed o-1 by system", "Reserved o-1 by system"]


def test_a_failing_handler_commits_nothing(db: Database) -> None:
    bus = MessageBus()

    def refuse(uow: OrdersUnit, event: Placed) -> None:
        raise RuntimeError("out of stock")

    bus.on(Placed, refuse)
    with units(db, bus)() as uow:
        uow.add(Order("o-1", [Placed("o-1")]))
        with pytest.raises(RuntimeError, match="out of stock"):
            uow.commit()

    assert published(db) == []
