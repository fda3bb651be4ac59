"""Object-level authorization: which customer records a caller may see and change.

The chassis has already decided that the caller may call the method at all (the policy in
entrypoints/authorization.py). Here, per record and per field:

- staff and machine clients see every record;
- a customer sees and changes only their own record and timeline; any other id answers
  NotFound exactly like an unknown one, so ids cannot be probed;
- a customer may not list, merge, blacklist or recognize customers, nor register new ones;
- a customer may change only their contact and profile details: the fields staff manage
  (kind, tags, acquisition source, owner) are refused with PermissionDenied, never ignored;
- a partner user sees no customer record yet (assignments to partners come later).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from uuid import UUID

from crm_platform.errors import NotFound, PermissionDenied

from crm_customer.domain.model import Actor, ActorKind

# What a customer may change on their own record
CUSTOMER_EDITABLE_FIELDS = frozenset(
    {"name", "email", "phone", "region", "city", "birth_date", "gender", "preferences"}
)
_RESTRICTED_KINDS = frozenset({ActorKind.CUSTOMER, ActorKind.PARTNER})


@dataclass(frozen=True)
class Caller:
    """Who asks: the actor recorded on every change, and for a customer their own record."""

    actor: Actor
    customer_id: UUID | None = None  # a customer's own record; None for everyone else

    @property
    def restricted(self) -> bool:
        """True for customers and partner users: they see only records that are theirs."""
        return self.actor.kind in _RESTRICTED_KINDS

    def ensure_may_see(self, customer_id: UUID) -> None:
        if self.restricted and self.customer_id != customer_id:
            raise not_found(customer_id)

    def ensure_unrestricted(self, action: str) -> None:
        if self.restricted:
            raise PermissionDenied(f"a {self.actor.kind} may not {action}")

    def ensure_may_set(self, fields: Collection[str]) -> None:
        if not self.restricted:
            return
        refused = sorted(set(fields) - CUSTOMER_EDITABLE_FIELDS)
        if refused:
            raise PermissionDenied(
                f"a {self.actor.kind} may not set {', '.join(refused)}; "
                f"editable: {', '.join(sorted(CUSTOMER_EDITABLE_FIELDS))}"
            )


def not_found(customer_id: UUID) -> NotFound:
    """The one answer for an unknown record and for one the caller may not see."""
    return NotFound(f"customer {customer_id} not found")
