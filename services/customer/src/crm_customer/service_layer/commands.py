"""Commands (change something) and queries (read something) the handlers accept.

Values are already parsed into domain types; `actor` is who asked, captured at the entrypoint.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from crm_customer.domain.model import (
    Actor,
    ConsentChannel,
    InteractionChannel,
    Profile,
)
from crm_customer.service_layer.ports import CustomerFilters


@dataclass(frozen=True)
class CreateCustomer:
    profile: Profile
    actor: Actor
    idempotency_key: str = ""  # a retry with the same key returns the first customer


@dataclass(frozen=True)
class UpdateCustomer:
    customer_id: UUID
    changes: Profile  # only the fields named in `fields` are read
    fields: frozenset[str]
    actor: Actor
    expected_version: int = 0  # 0: no optimistic check


@dataclass(frozen=True)
class GetCustomer:
    customer_id: UUID


@dataclass(frozen=True)
class ListCustomers:
    filters: CustomerFilters
    page_size: int = 0
    page_token: str = ""


@dataclass(frozen=True)
class MergeCustomers:
    survivor_id: UUID
    merged_id: UUID
    actor: Actor


@dataclass(frozen=True)
class BlacklistCustomer:
    customer_id: UUID
    reason: str
    actor: Actor


@dataclass(frozen=True)
class UnblacklistCustomer:
    customer_id: UUID
    reason: str
    actor: Actor


@dataclass(frozen=True)
class RecognizeCustomer:
    email: str = ""
    phone: str = ""


@dataclass(frozen=True)
class SetConsent:
    customer_id: UUID
    channel: ConsentChannel
    granted: bool
    actor: Actor


@dataclass(frozen=True)
class LogInteraction:
    customer_id: UUID
    channel: InteractionChannel
    summary: str
    actor: Actor
    occurred_at: datetime | None = None  # None: now


@dataclass(frozen=True)
class ListInteractions:
    customer_id: UUID
    page_size: int = 0
    page_token: str = ""
