"""The privacy contract's shared parts (proto/crm/privacy/v1): what every service that keeps
personal data (the registry's `personal_data`) serves and does the same way.

- Export: `binding(service, unit_of_work, collect)` serves `GetPersonalData`. `collect(uow,
  customer_id)` is the service's own: a JSON object of everything it keeps about the customer
  (`to_json` writes money as decimal strings, times as RFC 3339 UTC). Admins ask for anyone's;
  a customer only for their own (the portal's own export forwards their token).
- Erasure: `on_customer_erased(handlers, service, anonymize)` puts the handler of the customer
  service's `CustomerErased` in the service's consumer table. `anonymize(uow, customer_id)` is
  the service's own: it replaces names, contact details, addresses and free text the customer
  wrote with `ERASED`, keeping ids, amounts, dates, states and consent history. In the same
  transaction the handler records the erasure in the service's `personal_data_erasures`
  table and puts `PersonalDataErased` in its outbox: the customer service's confirmation. A
  second `CustomerErased` of the same customer (a redelivery the inbox did not catch, a
  replay) changes nothing and confirms nothing twice.
- Each such service's ORM adds the table with `erasure_table(metadata)` and a migration
  creates it with `create_erasure_table(op)`; its unit of work has `erasures =
  SqlErasureLog(session, table)`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, Protocol, TypeVar
from uuid import UUID

import grpc
import sqlalchemy as sa
from crm_proto.crm.common.v1 import common_pb2
from crm_proto.crm.customer.v1 import events_pb2 as customer_events
from crm_proto.crm.privacy.v1 import events_pb2, privacy_pb2, privacy_pb2_grpc
from google.protobuf.message import Message
from sqlalchemy.orm import Session

from crm_platform import context, errors, parsing, registry
from crm_platform.consumer import EventHandlers
from crm_platform.db import UtcDateTime
from crm_platform.events import Event
from crm_platform.grpc_server import ServiceBinding
from crm_platform.ports import Transaction

# What replaces a personal value on erasure: the same word everywhere, so that a reader (and a
# test) sees at once what was erased rather than guessing from blanks.
ERASED = "erased"

PERSONAL_DATA = privacy_pb2.DESCRIPTOR.services_by_name["PersonalData"]
ERASURE_TABLE = "personal_data_erasures"


def personal_data_services() -> tuple[str, ...]:
    """The registry's services that keep personal data: the export asks each for its section,
    the erasure waits for each one's confirmation."""
    return tuple(spec.name for spec in registry.SERVICES if spec.personal_data)


def erased(value: str | None) -> str | None:
    """A personal text after erasure: `ERASED`, or as it was when there was nothing."""
    return ERASED if value else value


# -- anonymizing a stored document -------------------------------------------------------------


def redact(document: Any, paths: Collection[str]) -> Any:
    """`document` (JSON: dicts, lists, scalars) with the texts at `paths` replaced by `ERASED`.
    A path is dotted keys ("contact.email"); a list on the way applies the rest of the path to
    each element ("contacts.name": every contact's name). Empty values stay empty, so that what
    was never given is not made to look given; a list of texts at a path is erased item by
    item."""
    return _rewrite(document, paths, _erase_value)


def blank(document: Any, paths: Collection[str]) -> Any:
    """`document` with the values at `paths` (as for `redact`) made empty texts: an address a
    sender would otherwise try."""
    return _rewrite(document, paths, lambda value: "" if value is not None else None)


def _rewrite(document: Any, paths: Collection[str], change: Callable[[Any], Any]) -> Any:
    by_head: dict[str, list[str]] = {}
    for path in paths:
        head, _, rest = path.partition(".")
        by_head.setdefault(head, []).append(rest)
    if isinstance(document, list):
        return [_rewrite(item, paths, change) for item in document]
    if not isinstance(document, dict):
        return document
    result = dict(document)
    for head, rests in by_head.items():
        if head not in result:
            continue
        inner = [rest for rest in rests if rest]
        if len(inner) < len(rests):  # the path ends here
            result[head] = change(result[head])
        elif inner:
            result[head] = _rewrite(result[head], inner, change)
    return result


def _erase_value(value: Any) -> Any:
    if isinstance(value, str):
        return erased(value)
    if isinstance(value, list):
        return [_erase_value(item) for item in value]
    if isinstance(value, dict):
        return {key: _erase_value(item) for key, item in value.items()}
    return value


# -- the section's JSON ---------------------------------------------------------------------------


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} in a personal data section")
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, Enum):
        return _json_value(value.value)
    if isinstance(value, (set, frozenset, tuple)):
        return sorted(value) if isinstance(value, (set, frozenset)) else list(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def to_json(document: Mapping[str, Any]) -> str:
    """A section as JSON: decimals as strings, times as RFC 3339 UTC, ids and enums as text."""
    return json.dumps(document, default=_json_value, ensure_ascii=False, sort_keys=True)


# -- the record of erasures -------------------------------------------------------------------


def _erasure_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("customer_id", sa.Uuid(), primary_key=True),
        sa.Column("erasure_id", sa.Uuid(), nullable=False),
        sa.Column("erased_at", UtcDateTime(), nullable=False),
    ]


def erasure_table(metadata: sa.MetaData) -> sa.Table:
    """The customers this service has erased, on the service's own metadata (only services
    that keep personal data have it)."""
    return sa.Table(ERASURE_TABLE, metadata, *_erasure_columns())


def create_erasure_table(op: Any) -> None:
    """In a migration (Alembic `op`)."""
    op.create_table(ERASURE_TABLE, *_erasure_columns())


def drop_erasure_table(op: Any) -> None:
    op.drop_table(ERASURE_TABLE)


class ErasureLog(Protocol):
    def erased_at(self, customer_id: UUID) -> datetime | None:
        """When this service erased the customer's data; None while it has not."""
        ...

    def record(self, customer_id: UUID, erasure_id: UUID, erased_at: datetime) -> None: ...


class SqlErasureLog:
    def __init__(self, session: Session, table: sa.Table) -> None:
        self.session = session
        self.table = table

    def erased_at(self, customer_id: UUID) -> datetime | None:
        found: datetime | None = self.session.execute(
            sa.select(self.table.c.erased_at).where(self.table.c.customer_id == customer_id)
        ).scalar_one_or_none()
        return found

    def record(self, customer_id: UUID, erasure_id: UUID, erased_at: datetime) -> None:
        self.session.execute(
            sa.insert(self.table).values(
                customer_id=customer_id, erasure_id=erasure_id, erased_at=erased_at
            )
        )


class ErasureUnit(Transaction, Protocol):
    """What the shared parts need of a service's unit of work."""

    @property
    def erasures(self) -> ErasureLog: ...

    def emit(self, message: Message, *, subject: str) -> str: ...


U = TypeVar("U", bound=ErasureUnit)


# -- a service's stored records about a customer ------------------------------------------------


@dataclass(frozen=True)
class PersonalTable:
    """One table's rows about a customer, and what of them is personal.

    `section`: the key of its rows in the export; `rows`: which rows are the customer's (by
    default `customer_id` equals theirs; a child table names its parent's rows); `texts`: text
    columns replaced by `ERASED`; `cleared`: columns set to a value of their own (a dedupe key
    that must stop matching: "" or None), or to what a function of the row makes (a unique
    login made `ERASED` and unique); `documents`: JSON column -> paths to `redact`;
    `blanked`: JSON column -> paths to `blank`; `withheld`: columns the export leaves out
    (secrets such as a password hash, which are no data about the customer to hand out);
    `version`: the optimistic-lock column, moved on so a writer holding the old record loses;
    `deleted`: the rows are nothing but personal data (a bounced address) and go altogether.
    """

    section: str
    table: sa.Table
    texts: tuple[str, ...] = ()
    cleared: Mapping[str, Any] = field(default_factory=dict)
    documents: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    blanked: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    rows: Callable[[UUID], sa.ColumnElement[bool]] | None = None
    version: str | None = None
    deleted: bool = False
    withheld: tuple[str, ...] = ()

    def where(self, customer_id: UUID) -> sa.ColumnElement[bool]:
        if self.rows is not None:
            return self.rows(customer_id)
        column = self.table.c.customer_id
        # read models that keep ids as text (analytics) compare them as text
        return column == (customer_id if isinstance(column.type, sa.Uuid) else str(customer_id))

    @property
    def changes(self) -> bool:
        """Whether erasure touches its rows (a table may be in the export only)."""
        return bool(self.texts or self.cleared or self.documents or self.blanked or self.deleted)

    def anonymized(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """The changed columns of one stored row (its columns by name)."""
        changes: dict[str, Any] = {name: erased(row[name]) for name in self.texts}
        changes.update(
            {name: value(row) if callable(value) else value for name, value in self.cleared.items()}
        )
        for column, paths in self.documents.items():
            changes[column] = redact(changes.get(column, row[column]), paths)
        for column, paths in self.blanked.items():
            changes[column] = blank(changes.get(column, row[column]), paths)
        if self.version is not None:
            changes[self.version] = row[self.version] + 1
        return changes


class PersonalRecords(Protocol):
    def export(self, customer_id: UUID) -> dict[str, list[dict[str, Any]]]: ...

    def anonymize(self, customer_id: UUID) -> int: ...


class RecordsUnit(ErasureUnit, Protocol):
    """A unit of work whose personal data is rows of tables (`SqlPersonalRecords`)."""

    @property
    def personal_data(self) -> PersonalRecords: ...


def collect_records(uow: RecordsUnit, customer_id: UUID) -> dict[str, Any]:
    """The section of a service whose personal data is its `personal_data` tables."""
    return uow.personal_data.export(customer_id)


def anonymize_records(uow: RecordsUnit, customer_id: UUID) -> None:
    uow.personal_data.anonymize(customer_id)


class SqlPersonalRecords:
    """Everything the `tables` hold about a customer: read for the export, anonymized on
    erasure (row by row, in the unit of work's transaction)."""

    def __init__(self, session: Session, tables: Sequence[PersonalTable]) -> None:
        self.session = session
        self.tables = tuple(tables)

    def export(self, customer_id: UUID) -> dict[str, list[dict[str, Any]]]:
        return {
            spec.section: [
                {name: value for name, value in row.items() if name not in spec.withheld}
                for row in self._rows(spec, customer_id)
            ]
            for spec in self.tables
        }

    def anonymize(self, customer_id: UUID) -> int:
        """The number of rows changed."""
        changed = 0
        for spec in self.tables:
            if not spec.changes:
                continue
            if spec.deleted:
                result = self.session.execute(sa.delete(spec.table).where(spec.where(customer_id)))
                changed += result.rowcount  # type: ignore[attr-defined]  # a CursorResult
                continue
            keys = list(spec.table.primary_key.columns)
            for row in self._rows(spec, customer_id):
                changes = spec.anonymized(dict(row))
                if all(
                    row[name] == value for name, value in changes.items() if name != spec.version
                ):
                    continue  # anonymized already: its version stays
                match = sa.and_(*(column == row[column.name] for column in keys))
                self.session.execute(sa.update(spec.table).where(match).values(changes))
                changed += 1
        return changed

    def _rows(self, spec: PersonalTable, customer_id: UUID) -> list[sa.RowMapping]:
        order = list(spec.table.primary_key.columns)
        statement = sa.select(spec.table).where(spec.where(customer_id)).order_by(*order)
        return list(self.session.execute(statement).mappings())


# -- erasure: CustomerErased in, PersonalDataErased out ------------------------------------------


def confirmation(
    service: str, customer_id: UUID, erasure_id: UUID, erased_at: datetime
) -> events_pb2.PersonalDataErased:
    return events_pb2.PersonalDataErased(
        customer_id=str(customer_id),
        service=service,
        erased_at=parsing.timestamp(erased_at),
        erasure_id=str(erasure_id),
    )


def erase(
    uow: U,
    service: str,
    anonymize: Callable[[U, UUID], None],
    customer_id: UUID,
    erasure_id: UUID,
    now: datetime,
) -> bool:
    """Anonymize the customer's data in `uow`, record it and confirm it; False (no second
    confirmation) when this service has erased the customer before. The caller commits."""
    if uow.erasures.erased_at(customer_id) is not None:
        # Erased before: anonymize again, which changes nothing unless a replay of the event
        # log (a read model's rebuild) brought the personal data back, but confirm only once.
        anonymize(uow, customer_id)
        return False
    anonymize(uow, customer_id)
    uow.erasures.record(customer_id, erasure_id, now)
    uow.emit(confirmation(service, customer_id, erasure_id, now), subject=str(customer_id))
    return True


def on_customer_erased(
    handlers: EventHandlers[Any], service: str, anonymize: Callable[[U, UUID], None]
) -> None:
    """Handle `CustomerErased` in `handlers`, the service's consumer table (typed by the unit
    of work its other handlers need; the service's unit of work is also an `ErasureUnit`)."""

    def handle(uow: U, message: customer_events.CustomerErased, event: Event) -> None:
        erase(
            uow,
            service,
            anonymize,
            UUID(message.customer_id),
            UUID(message.erasure_id),
            now=datetime.now(UTC),
        )

    handlers.on(customer_events.CustomerErased, handle)


# -- export: GetPersonalData ------------------------------------------------------------------


def ensure_may_read(customer_id: UUID) -> None:
    """Admins (the policy lets no other staff in) read anyone's; a customer only their own."""
    principal = context.principal.get()
    if principal.kind == common_pb2.ACTOR_KIND_CUSTOMER and principal.customer_id != str(
        customer_id
    ):
        raise errors.PermissionDenied("a customer may export only their own data")


@dataclass(frozen=True)
class Section:
    document: Mapping[str, Any]
    erased_at: datetime | None


def read_section(
    unit_of_work: Callable[[], U],
    collect: Callable[[U, UUID], Mapping[str, Any]],
    customer_id: UUID,
) -> Section:
    with unit_of_work() as uow:
        return Section(collect(uow, customer_id), uow.erasures.erased_at(customer_id))


def section_to_proto(service: str, section: Section) -> privacy_pb2.PersonalDataSection:
    reply = privacy_pb2.PersonalDataSection(
        service=service, document_json=to_json(section.document)
    )
    if section.erased_at is not None:
        reply.erased_at.CopyFrom(parsing.timestamp(section.erased_at))
    return reply


class PersonalDataServicer(privacy_pb2_grpc.PersonalDataServicer):
    def __init__(self, service: str, read: Callable[[UUID], Section]) -> None:
        self.service = service
        self.read = read

    def GetPersonalData(
        self, request: privacy_pb2.GetPersonalDataRequest, context: grpc.ServicerContext
    ) -> privacy_pb2.PersonalDataSection:
        customer_id = parsing.uuid(request.customer_id, "customer_id")
        ensure_may_read(customer_id)
        return section_to_proto(self.service, self.read(customer_id))


def binding(
    service: str,
    unit_of_work: Callable[[], U],
    collect: Callable[[U, UUID], Mapping[str, Any]],
) -> ServiceBinding:
    """The `PersonalData` servicer of `service`: its section is what `collect` finds, with the
    time of its erasure from the unit of work's `erasures`."""
    return binding_reading(
        service, lambda customer_id: read_section(unit_of_work, collect, customer_id)
    )


def binding_reading(service: str, read: Callable[[UUID], Section]) -> ServiceBinding:
    """The servicer over a reader of its own (the customer service keeps its erasures apart)."""
    return ServiceBinding(
        PERSONAL_DATA.full_name,
        PersonalDataServicer(service, read),
        privacy_pb2_grpc.add_PersonalDataServicer_to_server,
    )
