"""The privacy contract's shared parts: redaction of stored documents, a table's anonymized
row, the section's JSON and the erasure's once-only confirmation."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from types import TracebackType
from typing import Any
from uuid import UUID, uuid4

import sqlalchemy as sa
from crm_platform import privacy, registry
from crm_platform.privacy import ERASED, PersonalTable
from crm_proto.crm.privacy.v1 import events_pb2
from google.protobuf.message import Message

NOW = datetime(2026, 12, 6, 9, 30, tzinfo=UTC)

ROWS = sa.Table(
    "rows",
    sa.MetaData(),
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("customer_id", sa.Uuid()),
    sa.Column("name", sa.String()),
    sa.Column("email_key", sa.String()),
    sa.Column("document", sa.JSON()),
    sa.Column("version", sa.Integer()),
)


def test_redact_replaces_the_texts_at_the_paths_and_through_lists() -> None:
    document = {
        "contact": {"name": "Wang Fang", "email": "", "company": "Acme"},
        "contacts": [{"name": "Li Lei", "role": "buyer"}, {"name": None, "role": "user"}],
        "notes": ["call her", "likes tea"],
        "amount": "10.00",
    }

    redacted = privacy.redact(document, ("contact.name", "contact.email", "contacts.name", "notes"))

    assert redacted == {
        "contact": {"name": ERASED, "email": "", "company": "Acme"},
        "contacts": [{"name": ERASED, "role": "buyer"}, {"name": None, "role": "user"}],
        "notes": [ERASED, ERASED],
        "amount": "10.00",
    }
    assert document["contact"]["name"] == "Wang Fang"  # the stored one is not changed in place


def test_blank_empties_addresses_a_sender_would_try() -> None:
    blanked = privacy.blank(
        {"profile": {"email": "a@b.cn", "phone": None}}, ("profile.email", "profile.phone")
    )

    assert blanked == {"profile": {"email": "", "phone": None}}


def test_a_tables_anonymized_row_changes_texts_keys_documents_and_version() -> None:
    spec = PersonalTable(
        "rows", ROWS, texts=("name",), cleared={"email_key": ""},
        documents={"document": ("notes",)}, version="version",
    )  # fmt: skip
    row = {
        "id": uuid4(), "customer_id": uuid4(), "name": "Wang Fang", "email_key": "w@x.cn",
        "document": {"notes": "VIP", "total": "5.00"}, "version": 3,
    }  # fmt: skip

    assert spec.anonymized(row) == {
        "name": ERASED,
        "email_key": "",
        "document": {"notes": ERASED, "total": "5.00"},
        "version": 4,
    }


def test_a_cleared_column_may_be_made_from_the_row() -> None:
    spec = PersonalTable("rows", ROWS, cleared={"email_key": lambda row: f"erased-{row['id']}"})
    row_id = uuid4()

    assert spec.anonymized({"id": row_id, "email_key": "w@x.cn"}) == {
        "email_key": f"erased-{row_id}"
    }


def test_the_section_json_writes_money_times_and_ids_as_text() -> None:
    customer_id = UUID("6f1c2d8e-1111-4c3b-9d2e-0a1b2c3d4e5f")

    text = privacy.to_json({"total": Decimal("12.50"), "at": NOW, "id": customer_id})

    assert json.loads(text) == {
        "total": "12.50", "at": "2026-12-06T09:30:00Z", "id": str(customer_id),
    }  # fmt: skip


def test_the_registry_names_the_services_that_keep_personal_data() -> None:
    services = privacy.personal_data_services()

    assert {"customer", "sales", "marketing", "service", "analytics", "identity"} <= set(services)
    assert "portal" not in services
    assert all(registry.service(name).database for name in services)


class FakeLog:
    def __init__(self) -> None:
        self.erased: dict[UUID, datetime] = {}

    def erased_at(self, customer_id: UUID) -> datetime | None:
        return self.erased.get(customer_id)

    def record(self, customer_id: UUID, erasure_id: UUID, erased_at: datetime) -> None:
        self.erased[customer_id] = erased_at


class FakeUnit:
    def __init__(self) -> None:
        self.log = FakeLog()
        self.emitted: list[Message] = []
        self.anonymized: list[UUID] = []

    @property
    def erasures(self) -> FakeLog:
        return self.log

    def emit(self, message: Message, *, subject: str) -> str:
        self.emitted.append(message)
        return "event"

    def __enter__(self) -> FakeUnit:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:  # fmt: skip
        pass

    def savepoint(self) -> Any:
        raise NotImplementedError

    def commit(self) -> None:
        pass


def _anonymize(uow: FakeUnit, customer_id: UUID) -> None:
    uow.anonymized.append(customer_id)


def test_an_erasure_anonymizes_records_and_confirms_once() -> None:
    uow, customer_id, erasure_id = FakeUnit(), uuid4(), uuid4()

    first = privacy.erase(uow, "sales", _anonymize, customer_id, erasure_id, NOW)
    second = privacy.erase(uow, "sales", _anonymize, customer_id, erasure_id, NOW)

    assert (first, second) == (True, False)
    assert uow.log.erased_at(customer_id) == NOW
    assert len(uow.emitted) == 1
    confirmation = uow.emitted[0]
    assert isinstance(confirmation, events_pb2.PersonalDataErased)
    assert confirmation.service == "sales"
    assert confirmation.customer_id == str(customer_id)
    assert confirmation.erasure_id == str(erasure_id)
    # anonymized again the second time: a replay that brought the data back is undone
    assert uow.anonymized == [customer_id, customer_id]
