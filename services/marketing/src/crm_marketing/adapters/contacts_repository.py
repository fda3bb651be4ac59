"""The contact copy over SQLAlchemy Core: one row a customer, its pieces and their versions as
a JSON document, the email beside it to be found by."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.orm import Session

from crm_marketing.adapters.orm import contacts
from crm_marketing.domain.contacts import Channel, Contact, Profile, Versioned

BATCH = 500  # ids per query: well within every database's limit of bound parameters


class SqlContactRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, customer_id: UUID) -> Contact | None:
        row = self.session.execute(
            sa.select(contacts).where(contacts.c.customer_id == customer_id)
        ).first()
        return None if row is None else _contact_of(row.customer_id, row.document)

    def many(self, customer_ids: Iterable[UUID]) -> dict[UUID, Contact]:
        wanted = list(dict.fromkeys(customer_ids))
        found: dict[UUID, Contact] = {}
        for start in range(0, len(wanted), BATCH):
            rows = self.session.execute(
                sa.select(contacts).where(contacts.c.customer_id.in_(wanted[start : start + BATCH]))
            )
            found |= {row.customer_id: _contact_of(row.customer_id, row.document) for row in rows}
        return found

    def save(self, contact: Contact) -> None:
        values = {
            "email": contact.profile.email or None,
            "document": _document(contact),
            "updated_at": datetime.now(UTC),
        }
        updated: sa.CursorResult[Any] = self.session.execute(  # type: ignore[assignment]
            sa.update(contacts).where(contacts.c.customer_id == contact.customer_id).values(values)
        )
        if updated.rowcount == 0:
            self.session.execute(
                sa.insert(contacts).values(customer_id=contact.customer_id, **values)
            )

    def clear(self) -> None:
        self.session.execute(sa.delete(contacts))


def _document(contact: Contact) -> dict[str, Any]:
    profile = contact.profile
    return {
        "profile": {
            "name": profile.name, "email": profile.email, "phone": profile.phone,
            "region": profile.region, "city": profile.city,
        },
        "profile_version": contact.profile_version,
        "blacklisted": [contact.blacklisted.value, contact.blacklisted.version],
        "consents": {
            channel.value: [consent.value, consent.version]
            for channel, consent in contact.consents.items()
        },
        "merged_into_id": None if contact.merged_into_id is None else str(contact.merged_into_id),
    }  # fmt: skip


def _contact_of(customer_id: UUID, document: dict[str, Any]) -> Contact:
    blacklisted, blacklist_version = document["blacklisted"]
    merged = document["merged_into_id"]
    return Contact(
        customer_id=customer_id,
        profile=Profile(**document["profile"]),
        profile_version=document["profile_version"],
        blacklisted=Versioned(blacklisted, blacklist_version),
        consents={
            Channel(channel): Versioned(granted, version)
            for channel, (granted, version) in document["consents"].items()
        },
        merged_into_id=None if merged is None else UUID(merged),
    )
