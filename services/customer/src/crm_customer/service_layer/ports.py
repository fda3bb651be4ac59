"""What the handlers need from storage and messaging; adapters provide it, unit tests fake it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from crm_platform.paging import Cursor
from crm_platform.ports import Transaction

from crm_customer.domain.duplicates import Party
from crm_customer.domain.imports import CustomerImport
from crm_customer.domain.loyalty import LedgerEntry, LoyaltyAccount
from crm_customer.domain.model import Customer
from crm_customer.domain.values import AcquisitionSource, Interaction


@dataclass(frozen=True)
class CustomerFilters:
    """Live (not merged) customers matching every given filter."""

    region: str | None = None  # case-insensitive, whole value
    tag: str | None = None  # normalized (lowercase)
    source: AcquisitionSource | None = None
    query: str | None = None  # case-insensitive substring of name, email or phone
    partner_id: UUID | None = None  # assigned to this partner


class CustomerRepository(Protocol):
    def get(self, customer_id: UUID) -> Customer | None: ...

    def find_by_email(self, email: str) -> Customer | None:
        """The record with this normalized email, a live one before a merged one."""
        ...

    def find_by_phone(self, phone: str) -> Customer | None:
        """The record with this E.164 phone, a live one before a merged one."""
        ...

    def add(self, customer: Customer) -> None:
        """Insert; AlreadyExists when a live record took the email or phone meanwhile."""
        ...

    def save(self, customer: Customer) -> None:
        """Write the changes; Conflict when another transaction changed the record first."""
        ...

    def list_live(
        self, filters: CustomerFilters, after: Cursor | None, limit: int
    ) -> list[Customer]:
        """Oldest first by (created_at, id), starting after `after`."""
        ...

    def duplicate_candidates(self, customer: Customer, limit: int) -> list[Customer]:
        """Live records that might be the same party: the newest `limit` of the same city,
        and of the same name in any city (indexed lookups, whatever the number of records)."""
        ...


class InteractionRepository(Protocol):
    def add(self, interaction: Interaction) -> None: ...

    def exists(self, interaction_id: UUID) -> bool: ...

    def list_for(self, customer_id: UUID, before: Cursor | None, limit: int) -> list[Interaction]:
        """Newest first by (occurred_at, id), starting before `before`."""
        ...

    def reassign(self, from_customer_id: UUID, to_customer_id: UUID) -> None:
        """Move a timeline to another customer (after a merge)."""
        ...


class IdempotencyKeys(Protocol):
    def claim(self, key: str, customer_id: UUID, *, now: datetime) -> UUID | None:
        """Bind `key` to `customer_id`; returns the customer an earlier claim bound it to."""
        ...


class LoyaltyRepository(Protocol):
    def get(self, customer_id: UUID, *, for_update: bool = False) -> LoyaltyAccount:
        """The account (empty when the customer never had an entry), locked when asked."""
        ...

    def save(self, account: LoyaltyAccount) -> None: ...

    def entries_of_order(self, order_id: UUID) -> list[LedgerEntry]:
        """In every account: a merged customer's entries stay in theirs."""
        ...

    def earned_since(self, customer_id: UUID, since: datetime) -> int:
        """Points earned since then, less what cancellations took back of them."""
        ...

    def entries(self, customer_id: UUID, before: Cursor | None, limit: int) -> list[LedgerEntry]:
        """Newest first by (occurred_at, id), starting before `before`."""
        ...

    def with_expired_lots(self, now: datetime, limit: int) -> list[UUID]:
        """Customers with unspent points whose expiry has passed."""
        ...


class ImportRepository(Protocol):
    """Uploaded files and their jobs' progress."""

    def add(self, job: CustomerImport, content: str) -> None: ...

    def get(self, import_id: UUID) -> CustomerImport | None: ...

    def content(self, import_id: UUID) -> str: ...

    def rejections(self, import_id: UUID) -> list[tuple[int, str]]:
        """(line, reason) of every row rejected so far, in file order."""
        ...

    def claim_next(self, claim: UUID, *, now: datetime, lease_until: datetime) -> UUID | None:
        """Take the oldest unfinished import nobody holds (never claimed, or its lease ended)
        for `claim` until `lease_until`; None when there is none."""
        ...

    def save(self, job: CustomerImport, claim: UUID) -> None:
        """Write its state; LeaseLost when `claim` no longer holds it."""
        ...

    def release(self, import_id: UUID, claim: UUID) -> None:
        """End `claim`'s lease now, so that another importer may go on with it at once."""
        ...


class Parties(Protocol):
    def live(self) -> list[Party]:
        """Every live record's profile, for the company-wide duplicate review."""
        ...


class UnitOfWork(Transaction, Protocol):
    """One transaction: the repositories' changes and their records' events commit together
    (by the request's principal)."""

    @property
    def customers(self) -> CustomerRepository: ...

    @property
    def interactions(self) -> InteractionRepository: ...

    @property
    def idempotency_keys(self) -> IdempotencyKeys: ...

    @property
    def loyalty(self) -> LoyaltyRepository: ...

    @property
    def imports(self) -> ImportRepository: ...

    @property
    def parties(self) -> Parties: ...
