"""Unit of work and message bus ("Architecture Patterns with Python", chapters 8 and 9).

One database transaction. The repositories `track` every aggregate they load or add; at
commit the unit of work collects the domain events those aggregates recorded, hands each to
the in-process handlers registered for its type on the `MessageBus` (in the same transaction:
what they change commits with it, and the events they cause are collected in turn), and writes
each to the outbox, so no command can forget to publish. Who caused the events is the request's
principal (`context.principal`). The relay publishes the outbox after the commit.

Services subclass it to add their repositories and `outbox_message`, the mapping of their
domain events to the protobuf events on the wire (see any service's adapters/unit_of_work.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Protocol, Self, TypeVar

from crm_proto.crm.common.v1 import common_pb2
from google.protobuf.message import Message
from sqlalchemy import insert, text
from sqlalchemy.orm import Session, sessionmaker

from crm_platform import context
from crm_platform.events import event_type, to_cloudevent
from crm_platform.tables import outbox

OUTBOX_CHANNEL = "crm_outbox"

DomainEvent = TypeVar("DomainEvent")
Unit = TypeVar("Unit", bound="UnitOfWork")


class Aggregate(Protocol):
    def pull_events(self) -> list[Any]:
        """The events recorded since the last pull, each handed out once."""
        ...


class MessageBus:
    """In-process handlers of domain events: `bus.on(OrderPlaced, reserve_stock)`; each
    runs as `handler(uow, event)` inside the unit of work whose commit collected the event."""

    def __init__(self) -> None:
        self._handlers: dict[type, list[Callable[[Any, Any], None]]] = defaultdict(list)

    def on(
        self, event_class: type[DomainEvent], handler: Callable[[Any, DomainEvent], None]
    ) -> None:
        self._handlers[event_class].append(handler)

    def handlers_for(self, event: object) -> list[Callable[[Any, Any], None]]:
        return list(self._handlers.get(type(event), ()))


def outbox_row(
    message: Message, *, source: str, subject: str, correlation_id: str | None, time: datetime
) -> dict[str, Any]:
    """The outbox row of one event: its CloudEvent envelope and what the relay routes it by.
    The one place such a row is made (a command's unit of work, the bulk import)."""
    envelope = to_cloudevent(message, source=source, subject=subject, time=time)
    return {
        "event_id": envelope.id,
        "event_type": event_type(message),
        "subject": subject,
        "payload": envelope.SerializeToString(),
        "correlation_id": correlation_id,
        "created_at": time,
    }


class UnitOfWork:
    session: Session

    def __init__(
        self, session_factory: sessionmaker[Session], source: str, bus: MessageBus | None = None
    ) -> None:
        self._session_factory = session_factory
        self.source = source
        self.bus = bus or MessageBus()
        self._emitted = 0
        self._seen: list[Aggregate] = []

    def __enter__(self) -> Self:
        self.session = self._session_factory()
        self._emitted = 0
        self._seen = []
        # One correlation id for every event of this transaction, even outside a request.
        self._correlation_id = context.current_correlation_id()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Whatever was not committed is thrown away, outbox rows included.
        self.session.rollback()
        self.session.close()

    def track(self, aggregate: Aggregate) -> None:
        """Called by the repositories for every aggregate they load or add."""
        if not any(seen is aggregate for seen in self._seen):
            self._seen.append(aggregate)

    def outbox_message(self, event: Any, actor: common_pb2.Actor) -> tuple[Message, str]:
        """A domain event as the protobuf event published for it, and its subject."""
        raise NotImplementedError(f"{type(self).__name__} publishes no domain events")

    def emit(self, message: Message, *, subject: str) -> str:
        """Add an event to this transaction's outbox; returns the event id."""
        row = outbox_row(
            message,
            source=self.source,
            subject=subject,
            correlation_id=self._correlation_id,
            time=datetime.now(UTC),
        )
        self.session.execute(insert(outbox).values(row))
        self._emitted += 1
        return str(row["event_id"])

    def savepoint(self) -> AbstractContextManager[object]:
        """A part of the transaction that may fail alone: when it raises, what it changed is
        undone and the rest of the transaction goes on (a unique index lost to a concurrent
        writer, say)."""
        return self.session.begin_nested()

    def commit(self) -> None:
        self._publish_events()
        if self._emitted and self.session.get_bind().dialect.name == "postgresql":
            # Delivered on commit only: wakes the relay without polling.
            self.session.execute(text(f"NOTIFY {OUTBOX_CHANNEL}"))
        self.session.commit()
        self._emitted = 0

    def rollback(self) -> None:
        self.session.rollback()
        self._emitted = 0
        self._seen = []  # their changes, events included, are gone with the transaction

    def _publish_events(self) -> None:
        actor = context.principal.get().as_actor()
        while events := [event for aggregate in self._seen for event in aggregate.pull_events()]:
            for event in events:
                for handler in self.bus.handlers_for(event):
                    handler(self, event)
                message, subject = self.outbox_message(event, actor)
                self.emit(message, subject=subject)
