"""Who acts on a case. Immutable, so the aggregate (cases.py) and its events speak in it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

# The staff roles that work cases, and those among them that manage the agents.
SERVICE_ROLES = frozenset({"admin", "manager", "service_agent"})
MANAGER_ROLES = frozenset({"admin", "manager"})


class ActorKind(StrEnum):
    STAFF = "staff"
    CUSTOMER = "customer"
    PARTNER = "partner"
    SERVICE = "service"
    SYSTEM = "system"


@dataclass(frozen=True)
class Actor:
    """Who takes a step: the author of a message, and the actor of every event."""

    subject: str
    kind: ActorKind
    roles: frozenset[str] = frozenset()
    customer_id: UUID | None = None  # for a customer: the customer record they are

    @property
    def is_agent(self) -> bool:
        """Staff who may work cases."""
        return self.kind is ActorKind.STAFF and bool(self.roles & SERVICE_ROLES)

    @property
    def is_manager(self) -> bool:
        return self.kind is ActorKind.STAFF and bool(self.roles & MANAGER_ROLES)

    @property
    def is_customer(self) -> bool:
        return self.kind is ActorKind.CUSTOMER
