"""Unit of work: one database transaction whose commit also writes the events it emitted.

Services subclass it to add their repositories (see any service's adapters/unit_of_work.py).
"""

from __future__ import annotations

from datetime import UTC, datetime
from types import TracebackType
from typing import Self

from google.protobuf.message import Message
from sqlalchemy import insert, text
from sqlalchemy.orm import Session, sessionmaker

from crm_platform import context
from crm_platform.events import event_type, to_cloudevent
from crm_platform.tables import outbox

OUTBOX_CHANNEL = "crm_outbox"


class UnitOfWork:
    session: Session

    def __init__(self, session_factory: sessionmaker[Session], source: str) -> None:
        self._session_factory = session_factory
        self.source = source
        self._emitted = 0

    def __enter__(self) -> Self:
        self.session = self._session_factory()
        self._emitted = 0
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

    def emit(self, message: Message, *, subject: str) -> str:
        """Add an event to this transaction's outbox; returns the event id."""
        now = datetime.now(UTC)
        envelope = to_cloudevent(message, source=self.source, subject=subject, time=now)
        self.session.execute(
            insert(outbox).values(
                event_id=envelope.id,
                event_type=event_type(message),
                subject=subject,
                payload=envelope.SerializeToString(),
                correlation_id=self._correlation_id,
                created_at=now,
            )
        )
        self._emitted += 1
        return envelope.id

    def commit(self) -> None:
        if self._emitted and self.session.get_bind().dialect.name == "postgresql":
            # Delivered on commit only: wakes the relay without polling.
            self.session.execute(text(f"NOTIFY {OUTBOX_CHANNEL}"))
        self.session.commit()
        self._emitted = 0

    def rollback(self) -> None:
        self.session.rollback()
        self._emitted = 0
