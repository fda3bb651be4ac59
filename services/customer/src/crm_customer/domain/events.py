"""Domain events: facts about a customer, recorded on the aggregate while a command runs and
collected by the unit of work when it commits.

They carry values and ids, never the aggregate: each carries the customer's version after the
change. Who made the change is not part of them: it is the request's principal, added when the
events are written to the outbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from crm_customer.domain.loyalty import PointsChanged
from crm_customer.domain.values import Actor, ConsentChannel, CustomerState, Interaction


@dataclass(frozen=True)
class CustomerRegistered:
    customer: CustomerState

    @property
    def customer_id(self) -> UUID:
        return self.customer.id


@dataclass(frozen=True)
class CustomerUpdated:
    customer: CustomerState
    changed_fields: tuple[str, ...]

    @property
    def customer_id(self) -> UUID:
        return self.customer.id


@dataclass(frozen=True)
class CustomerMerged:
    survivor: CustomerState
    merged_id: UUID
    merged_version: int

    @property
    def customer_id(self) -> UUID:
        return self.survivor.id


@dataclass(frozen=True)
class CustomerBlacklisted:
    customer_id: UUID
    reason: str
    version: int


@dataclass(frozen=True)
class CustomerUnblacklisted:
    customer_id: UUID
    reason: str
    version: int


@dataclass(frozen=True)
class ConsentChanged:
    customer_id: UUID
    channel: ConsentChannel
    granted: bool
    version: int
    # who asked, when not the caller: the customer who unsubscribed through a campaign message
    requested_by: Actor | None = None


@dataclass(frozen=True)
class InteractionLogged:
    interaction: Interaction
    version: int  # the customer's version; logging an interaction leaves the record unchanged

    @property
    def customer_id(self) -> UUID:
        return self.interaction.customer_id


@dataclass(frozen=True)
class CustomerErased:
    """The customer's personal data is erased here; every service that keeps some erases its
    copies and confirms (crm_customer.domain.erasure)."""

    customer_id: UUID
    erasure_id: UUID
    erased_at: datetime
    version: int  # the customer's, after the erasure


DomainEvent = (
    CustomerRegistered
    | CustomerUpdated
    | CustomerMerged
    | CustomerBlacklisted
    | CustomerUnblacklisted
    | ConsentChanged
    | InteractionLogged
    | CustomerErased
    | PointsChanged  # a loyalty account's, crm_customer.domain.loyalty
)
