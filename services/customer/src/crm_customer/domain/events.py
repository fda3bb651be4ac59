"""Domain events: facts about a customer, collected on the aggregate while a command runs.

Each carries the customer's version after the change. The actor is added when the events are
published, because the command, not the aggregate, knows who asked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from uuid import UUID

if TYPE_CHECKING:
    from crm_customer.domain.model import ConsentChannel, Customer, Interaction


@dataclass(frozen=True)
class CustomerRegistered:
    customer: Customer  # snapshot after the change

    @property
    def customer_id(self) -> UUID:
        return self.customer.id


@dataclass(frozen=True)
class CustomerUpdated:
    customer: Customer  # snapshot after the change
    changed_fields: tuple[str, ...]

    @property
    def customer_id(self) -> UUID:
        return self.customer.id


@dataclass(frozen=True)
class CustomerMerged:
    survivor: Customer  # snapshot after the merge
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


@dataclass(frozen=True)
class InteractionLogged:
    interaction: Interaction
    version: int  # the customer's version; logging an interaction leaves the record unchanged

    @property
    def customer_id(self) -> UUID:
        return self.interaction.customer_id


DomainEvent = (
    CustomerRegistered
    | CustomerUpdated
    | CustomerMerged
    | CustomerBlacklisted
    | CustomerUnblacklisted
    | ConsentChanged
    | InteractionLogged
)
