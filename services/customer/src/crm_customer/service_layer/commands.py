"""Commands (change something) and queries (read something) the handlers accept.

Values are already parsed into domain types; `caller` is who asked, taken at the entrypoint
from the verified access token: the actor every change records, and what the caller may see.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from crm_customer.domain.duplicates import DEFAULT_MIN_SCORE
from crm_customer.domain.values import ConsentChannel, InteractionChannel, Profile
from crm_customer.service_layer.access import Caller
from crm_customer.service_layer.ports import CustomerFilters


@dataclass(frozen=True)
class CreateCustomer:
    profile: Profile
    caller: Caller
    idempotency_key: str = ""  # a retry with the same key returns the first customer


@dataclass(frozen=True)
class UpdateCustomer:
    customer_id: UUID
    changes: Profile  # only the fields named in `fields` are read
    fields: frozenset[str]
    caller: Caller
    expected_version: int = 0  # 0: no optimistic check


@dataclass(frozen=True)
class GetCustomer:
    customer_id: UUID
    caller: Caller


@dataclass(frozen=True)
class ListCustomers:
    filters: CustomerFilters
    caller: Caller
    page_size: int = 0
    page_token: str = ""


@dataclass(frozen=True)
class MergeCustomers:
    survivor_id: UUID
    merged_id: UUID
    caller: Caller


@dataclass(frozen=True)
class BlacklistCustomer:
    customer_id: UUID
    reason: str
    caller: Caller


@dataclass(frozen=True)
class UnblacklistCustomer:
    customer_id: UUID
    reason: str
    caller: Caller


@dataclass(frozen=True)
class RecognizeCustomer:
    caller: Caller
    email: str = ""
    phone: str = ""


@dataclass(frozen=True)
class ListPossibleDuplicates:
    customer_id: UUID
    caller: Caller
    min_score: int = DEFAULT_MIN_SCORE


@dataclass(frozen=True)
class SetConsent:
    customer_id: UUID
    channel: ConsentChannel
    granted: bool
    caller: Caller


@dataclass(frozen=True)
class LogInteraction:
    customer_id: UUID
    channel: InteractionChannel
    summary: str
    caller: Caller
    occurred_at: datetime | None = None  # None: now


@dataclass(frozen=True)
class ListInteractions:
    customer_id: UUID
    caller: Caller
    page_size: int = 0
    page_token: str = ""
