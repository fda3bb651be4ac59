"""Batch writes for the import: customers, their tags and their CustomerRegistered events in
one transaction per batch. PostgreSQL gets COPY; SQLite gets executemany.

The outbox rows are made by the one builder the unit of work uses for a create (the same
CloudEvent envelope, event type, subject and correlation id), so the relay and the consumers
cannot tell an imported customer from a created one.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import psycopg
import sqlalchemy as sa
from crm_platform import context
from crm_platform.errors import AlreadyExists
from crm_platform.events import source_of
from crm_platform.tables import outbox
from crm_platform.uow import OUTBOX_CHANNEL, outbox_row
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import IntegrityError

from crm_customer.adapters.event_mapping import to_message
from crm_customer.adapters.messages import actor_to_proto
from crm_customer.adapters.orm import customer_tags, customers
from crm_customer.adapters.repository import _customer_values
from crm_customer.config import SERVICE_NAME
from crm_customer.domain.events import DomainEvent
from crm_customer.domain.model import Customer
from crm_customer.domain.values import Actor
from crm_customer.service_layer.importing import Candidate, Contact, Encoder, WrittenBatch

CUSTOMER_COLUMNS = tuple(column.name for column in customers.columns)
OUTBOX_COLUMNS = ("event_id", "event_type", "subject", "payload", "correlation_id", "created_at")
# (customer, tags, events): COPY text lines on PostgreSQL, row dicts on SQLite.
Encoded = tuple[Any, Any, Any]
# Semi-joins on the unnested lists, not `email = ANY(%s)`: with a bound array that is a
# per-row filter over a whole list, which a sequential scan of a big table makes quadratic.
_LIVE_HOLDERS = """
    SELECT id, email, phone FROM customers
    WHERE merged_into_id IS NULL AND email IN (SELECT unnest(%s::text[]))
    UNION
    SELECT id, email, phone FROM customers
    WHERE merged_into_id IS NULL AND phone IN (SELECT unnest(%s::text[]))
"""


@dataclass(frozen=True)
class RowEncoder:
    """A registered customer -> its customer row, tag rows and outbox row: lines of COPY text
    for PostgreSQL, dicts for SQLite. Picklable: it runs in the import's worker processes."""

    actor: Actor
    source: str
    correlation_id: str
    copy_text: bool

    def __call__(self, customer: Customer) -> Encoded:
        values = _customer_values(customer)
        tags = [(customer.id, tag) for tag in customer.profile.tags]
        events = [self._outbox_row(event) for event in customer.pull_events()]
        if not self.copy_text:
            return (
                values,
                [{"customer_id": cid, "tag": tag} for cid, tag in tags],
                events,
            )
        values["preferences"] = json.dumps(values["preferences"])
        return (
            _copy_line(values[name] for name in CUSTOMER_COLUMNS),
            b"".join(_copy_line(row) for row in tags),
            b"".join(_copy_line(event[name] for name in OUTBOX_COLUMNS) for event in events),
        )

    def _outbox_row(self, event: DomainEvent) -> dict[str, Any]:
        return outbox_row(
            to_message(event, actor_to_proto(self.actor)),
            source=self.source,
            subject=str(event.customer_id),
            correlation_id=self.correlation_id,
            time=datetime.now(UTC),
        )


# Records a written batch in its transaction (an import job's progress and rejections).
Journal = Callable[[Connection, WrittenBatch], None]


class SqlBulkCustomerStore:
    def __init__(
        self,
        engine: Engine,
        *,
        correlation_id: str | None = None,
        journal: Journal | None = None,
    ) -> None:
        self.engine = engine
        # One correlation id for every event of the import, unless the caller has one.
        self.correlation_id = correlation_id or context.current_correlation_id()
        self.postgres = engine.dialect.name == "postgresql"
        self.journal = journal

    def encoder(self, actor: Actor) -> Encoder:
        return RowEncoder(actor, source_of(SERVICE_NAME), self.correlation_id, self.postgres)

    def write_batch(
        self,
        candidates: list[Candidate],
        check: Callable[[dict[Contact, UUID]], set[UUID]],
        written: Callable[[int], WrittenBatch],
    ) -> int:
        contacts = [contact for candidate in candidates for contact in candidate.contacts]
        if not candidates and self.journal is None:
            return 0
        try:
            with self.engine.begin() as connection:
                left_out = check(self._holders(connection, contacts)) if contacts else set()
                rows = [c.encoded for c in candidates if c.customer_id not in left_out]
                if rows and self.postgres:
                    self._copy(connection, rows)
                    connection.execute(sa.text(f"NOTIFY {OUTBOX_CHANNEL}"))
                elif rows:
                    self._insert(connection, rows)
                if self.journal is not None:
                    self.journal(connection, written(len(rows)))
        except (IntegrityError, psycopg.errors.UniqueViolation) as exc:
            raise AlreadyExists(
                "a customer created during the import took an email or phone of this batch",
                existing_id="",
            ) from exc
        return len(rows)

    def refresh_statistics(self) -> None:
        # Without fresh statistics after a bulk load, PostgreSQL plans as if the tables were
        # still small: reading a page's tags by id became a scan of every tag row.
        statement = (
            "ANALYZE customers, customer_tags, customer_consents, outbox"
            if self.postgres
            else "ANALYZE"
        )
        with self.engine.begin() as connection:
            connection.execute(sa.text(statement))

    def _holders(self, connection: Connection, contacts: list[Contact]) -> dict[Contact, UUID]:
        emails = [c.value for c in contacts if c.kind == "email"]
        phones = [c.value for c in contacts if c.kind == "phone"]
        if self.postgres:
            raw = _driver_connection(connection)
            rows: Iterable[Any] = raw.execute(_LIVE_HOLDERS, (emails, phones)).fetchall()
        else:
            rows = connection.execute(
                sa.select(customers.c.id, customers.c.email, customers.c.phone)
                .where(customers.c.merged_into_id.is_(None))
                .where(sa.or_(customers.c.email.in_(emails), customers.c.phone.in_(phones)))
            ).all()
        holders: dict[Contact, UUID] = {}
        for customer_id, email, phone in rows:
            if email is not None:
                holders[Contact("email", email)] = customer_id
            if phone is not None:
                holders[Contact("phone", phone)] = customer_id
        return holders

    def _copy(self, connection: Connection, written: list[Encoded]) -> None:
        raw = _driver_connection(connection)
        with raw.cursor() as cursor:
            for index, statement in enumerate(_COPY_STATEMENTS):
                data = b"".join(rows[index] for rows in written)
                if data:
                    with cursor.copy(statement) as copy:
                        copy.write(data)

    def _insert(self, connection: Connection, written: list[Encoded]) -> None:
        connection.execute(sa.insert(customers), [values for values, _, _ in written])
        tags = [tag for _, tag_rows, _ in written for tag in tag_rows]
        if tags:
            connection.execute(sa.insert(customer_tags), tags)
        events = [event for _, _, event_rows in written for event in event_rows]
        if events:
            connection.execute(sa.insert(outbox), events)


# COPY's text format: tab-separated, \N for NULL, backslash escapes, bytea as \x hex.
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


_COPY_FORMATS: dict[type, Callable[[Any], str]] = {
    type(None): lambda _: "\\N",
    str: lambda value: value.translate(_ESCAPES),
    bool: lambda value: "t" if value else "f",
    int: str,
    UUID: str,
    datetime: datetime.isoformat,
    date: date.isoformat,
    bytes: lambda value: "\\\\x" + value.hex(),
}


def _copy_field(value: Any) -> str:
    return _COPY_FORMATS[type(value)](value)


def _copy_line(values: Iterable[Any]) -> bytes:
    return ("\t".join(map(_copy_field, values)) + "\n").encode()


_COPY_STATEMENTS = (
    f"COPY customers ({', '.join(CUSTOMER_COLUMNS)}) FROM STDIN",
    "COPY customer_tags (customer_id, tag) FROM STDIN",
    f"COPY outbox ({', '.join(OUTBOX_COLUMNS)}) FROM STDIN",
)


def _driver_connection(connection: Connection) -> psycopg.Connection[Any]:
    raw: psycopg.Connection[Any] = connection.connection.driver_connection  # type: ignore[assignment]
    return raw
