"""In-memory fakes of the campaign ports (campaigns, recipients, invalid addresses, the contact
copy), a fake mailer and fake neighbours, for the unit tests. A unit of work publishes the
events of the campaigns it saw when it commits; nothing rolls back (each test reads what
committed)."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from datetime import datetime
from types import TracebackType
from typing import Self
from uuid import UUID

from crm_marketing.domain.campaigns import Campaign, Recipient, RecipientStatus
from crm_marketing.domain.contacts import Contact
from crm_platform.mail import Outgoing
from crm_platform.paging import Cursor


class FakeCampaigns:
    def __init__(self, uow: CampaignStore) -> None:
        self.rows: dict[UUID, Campaign] = {}
        self.uow = uow

    def get(self, campaign_id: UUID) -> Campaign | None:
        found = copy.deepcopy(self.rows.get(campaign_id))
        if found is not None:
            self.uow.seen.append(found)
        return found

    def add(self, campaign: Campaign) -> None:
        self.rows[campaign.id] = campaign
        self.uow.seen.append(campaign)

    def save(self, campaign: Campaign) -> None:
        self.rows[campaign.id] = campaign

    def list(self, after: Cursor | None, limit: int) -> list[Campaign]:
        return sorted(self.rows.values(), key=lambda c: (c.created_at, c.id), reverse=True)[:limit]


class FakeRecipients:
    def __init__(self, store: CampaignStore) -> None:
        self.store = store
        self.rows: dict[tuple[UUID, UUID], Recipient] = {}

    def add_all(self, recipients: Iterable[Recipient]) -> None:
        for recipient in recipients:
            self.rows[(recipient.campaign_id, recipient.customer_id)] = recipient

    def get(self, campaign_id: UUID, customer_id: UUID) -> Recipient | None:
        found = copy.deepcopy(self.rows.get((campaign_id, customer_id)))
        if found is not None:
            self.store.seen.append(found)
        return found

    def save(self, recipient: Recipient) -> None:
        self.rows[(recipient.campaign_id, recipient.customer_id)] = copy.deepcopy(recipient)

    def of_campaign(self, campaign_id: UUID, after: UUID | None, limit: int) -> list[Recipient]:
        found = sorted(
            (r for r in self.rows.values() if r.campaign_id == campaign_id),
            key=lambda r: r.customer_id,
        )
        return [copy.deepcopy(r) for r in found if after is None or r.customer_id > after][:limit]

    def counts(self, campaign_id: UUID) -> dict[RecipientStatus, int]:
        counts: dict[RecipientStatus, int] = {}
        for recipient in self.rows.values():
            if recipient.campaign_id == campaign_id:
                counts[recipient.status] = counts.get(recipient.status, 0) + 1
        return counts

    def pending(self, campaign_id: UUID) -> int:
        return sum(r.campaign_id == campaign_id and not r.is_done for r in self.rows.values())

    def due(self, now: datetime, limit: int) -> list[Recipient]:
        due = [
            r for r in self.rows.values()
            if r.status is RecipientStatus.QUEUED and r.next_attempt_at is not None
            and r.next_attempt_at <= now
        ]  # fmt: skip
        due.sort(key=lambda r: r.next_attempt_at or now)
        return [copy.deepcopy(r) for r in due[:limit]]

    def claimed_before(self, moment: datetime) -> list[Recipient]:
        return [
            copy.deepcopy(r) for r in self.rows.values()
            if r.status is RecipientStatus.SENDING and r.claimed_at and r.claimed_at < moment
        ]  # fmt: skip

    def queued_of(self, campaign_id: UUID) -> list[Recipient]:
        return [
            copy.deepcopy(r) for r in self.rows.values()
            if r.campaign_id == campaign_id and r.status is RecipientStatus.QUEUED
        ]  # fmt: skip


class FakeInvalidAddresses(dict[str, str]):
    def among(self, emails: Iterable[str]) -> frozenset[str]:
        return frozenset(e.lower() for e in emails if e.lower() in self)

    def mark(
        self, email: str, reason: str, campaign_id: UUID, customer_id: UUID, now: datetime
    ) -> None:
        self.setdefault(email.lower(), reason)


class FakeContacts(dict[UUID, Contact]):
    def get(self, customer_id: UUID, default: Contact | None = None) -> Contact | None:  # type: ignore[override]
        found = super().get(customer_id)
        return None if found is None else found.copy()

    def many(self, customer_ids: Iterable[UUID]) -> dict[UUID, Contact]:
        return {c: self[c].copy() for c in customer_ids if c in self}

    def save(self, contact: Contact) -> None:
        self[contact.customer_id] = contact.copy()

    def clear(self) -> None:
        super().clear()


class CampaignStore:
    """One store shared by every unit of work; `events` holds what committed units published."""

    def __init__(self) -> None:
        self.seen: list[Campaign | Recipient] = []
        self.campaigns = FakeCampaigns(self)
        self.recipients = FakeRecipients(self)
        self.invalid_addresses = FakeInvalidAddresses()
        self.contacts = FakeContacts()
        self.events: list[object] = []

    def __call__(self) -> Self:
        return self

    def __enter__(self) -> Self:
        self.seen = []
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    def commit(self) -> None:
        for aggregate in self.seen:
            self.events.extend(aggregate.pull_events())


class FakeMailer:
    """Accepts every message, unless told to fail the next ones (`failures`, in order)."""

    def __init__(self) -> None:
        self.sent: list[Outgoing] = []
        self.failures: list[Exception] = []

    def send(self, message: Outgoing) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(message)


class FakeSegments(dict[UUID, list[UUID]]):
    def members(self, segment_id: UUID) -> list[UUID]:
        return list(self[segment_id])
