"""What the marketing use cases need from storage, as protocols: the unit of work (the chassis'
in production, fakes in the unit tests) and its repositories."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol
from uuid import UUID

from crm_platform.paging import Cursor
from crm_platform.ports import Transaction

from crm_marketing.domain.campaigns import Campaign, Recipient, RecipientStatus
from crm_marketing.domain.catalog import PriceList, Product
from crm_marketing.domain.contacts import Contact
from crm_marketing.domain.forms import LeadForm, Submission


class ProductRepository(Protocol):
    def get(self, product_id: UUID) -> Product | None: ...

    def by_code(self, code: str) -> Product | None: ...

    def add(self, product: Product) -> None:
        """Conflict (ALREADY_EXISTS) when the code is taken."""
        ...

    def save(self, product: Product) -> None: ...

    def list(self, after: str | None, limit: int, *, active_only: bool) -> list[Product]:
        """By code, after the code `after`."""
        ...


class PriceListRepository(Protocol):
    def get(self, price_list_id: UUID) -> PriceList | None: ...

    def add(self, price_list: PriceList) -> None: ...

    def save(self, price_list: PriceList) -> None: ...

    def in_currency(self, currency: str) -> list[PriceList]:
        """Every list in `currency`, oldest first, active or not (a base may be either)."""
        ...

    def list(self, currency: str | None, after: Cursor | None, limit: int) -> list[PriceList]:
        """Newest first, before the cursor (created_at, id)."""
        ...


class CustomerTiers(Protocol):
    def tier_of(self, customer_id: UUID) -> str | None: ...

    def set(self, customer_id: UUID, tier: str | None) -> None: ...


class FormRepository(Protocol):
    def get(self, form_id: UUID) -> LeadForm | None: ...

    def add(self, form: LeadForm) -> None: ...

    def save(self, form: LeadForm) -> None: ...

    def list(self, after: Cursor | None, limit: int) -> list[LeadForm]:
        """Newest first, before the cursor (created_at, id)."""
        ...


class SubmissionRepository(Protocol):
    def add(self, submission: Submission) -> None: ...

    def list(self, form_id: UUID, after: Cursor | None, limit: int) -> list[Submission]:
        """A form's submissions, newest first, before the cursor (captured_at, id)."""
        ...


class ContactRepository(Protocol):
    def get(self, customer_id: UUID) -> Contact | None: ...

    def many(self, customer_ids: Iterable[UUID]) -> dict[UUID, Contact]:
        """The copies of those of `customer_ids` marketing knows."""
        ...

    def save(self, contact: Contact) -> None:
        """Insert or replace the copy of one customer."""
        ...

    def clear(self) -> None:
        """Forget every contact (before the event log is replayed into the copy)."""
        ...


class CampaignRepository(Protocol):
    def get(self, campaign_id: UUID) -> Campaign | None: ...

    def add(self, campaign: Campaign) -> None: ...

    def save(self, campaign: Campaign) -> None: ...

    def list(self, after: Cursor | None, limit: int) -> list[Campaign]:
        """Newest first, before the cursor (created_at, id)."""
        ...


class RecipientRepository(Protocol):
    def add_all(self, recipients: Iterable[Recipient]) -> None: ...

    def get(self, campaign_id: UUID, customer_id: UUID) -> Recipient | None: ...

    def save(self, recipient: Recipient) -> None: ...

    def of_campaign(self, campaign_id: UUID, after: UUID | None, limit: int) -> list[Recipient]:
        """By customer id, after `after`."""
        ...

    def counts(self, campaign_id: UUID) -> dict[RecipientStatus, int]: ...

    def pending(self, campaign_id: UUID) -> int:
        """Recipients queued or being sent."""
        ...

    def due(self, now: datetime, limit: int) -> list[Recipient]:
        """Queued recipients due by `now`, oldest first, held for this transaction."""
        ...

    def claimed_before(self, moment: datetime) -> list[Recipient]:
        """Recipients a sender claimed before `moment` and never answered for."""
        ...

    def queued_of(self, campaign_id: UUID) -> list[Recipient]: ...


class InvalidAddresses(Protocol):
    def among(self, emails: Iterable[str]) -> frozenset[str]:
        """Those of `emails` (lowercased) that bounced for good."""
        ...

    def mark(
        self, email: str, reason: str, campaign_id: UUID, customer_id: UUID, now: datetime
    ) -> None: ...


class UnitOfWork(Transaction, Protocol):
    @property
    def products(self) -> ProductRepository: ...

    @property
    def price_lists(self) -> PriceListRepository: ...

    @property
    def customer_tiers(self) -> CustomerTiers: ...

    @property
    def forms(self) -> FormRepository: ...

    @property
    def submissions(self) -> SubmissionRepository: ...

    @property
    def contacts(self) -> ContactRepository: ...

    @property
    def campaigns(self) -> CampaignRepository: ...

    @property
    def recipients(self) -> RecipientRepository: ...

    @property
    def invalid_addresses(self) -> InvalidAddresses: ...
