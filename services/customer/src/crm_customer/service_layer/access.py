"""Object-level authorization: which customer records a caller may see and change.

The chassis has already decided that the caller may call the method at all (the policy in
entrypoints/authorization.py). Here, per record and per field:

- staff and machine clients see every record;
- a customer sees and changes only their own record and timeline; any other id answers
  NotFound exactly like an unknown one, so ids cannot be probed;
- a partner user sees only the records assigned to their partner (`partner_id`), and their
  timelines: a list is limited to them, and any other id answers NotFound exactly like an
  unknown one; a partner user changes nothing (create, update, consent, interactions, merge,
  blacklist: PermissionDenied);
- customers and partner users may not merge, blacklist or recognize customers, nor register
  new ones; a customer may not list customers; a partner user may list only their own
  partner's (asking for another partner's is PermissionDenied);
- a customer may change only their contact and profile details: the fields staff manage
  (kind, tags, acquisition source, owner, partner assignment) are refused with
  PermissionDenied, never ignored. Who may assign a record to a partner is therefore the
  policy's staff roles and machine clients with customers:write.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from uuid import UUID

from crm_platform.errors import NotFound, PermissionDenied

from crm_customer.domain.model import Customer
from crm_customer.domain.values import Actor, ActorKind
from crm_customer.service_layer.ports import CustomerFilters

# What a customer may change on their own record
CUSTOMER_EDITABLE_FIELDS = frozenset(
    {"name", "email", "phone", "region", "city", "birth_date", "gender", "preferences"}
)
_RESTRICTED_KINDS = frozenset({ActorKind.CUSTOMER, ActorKind.PARTNER})


@dataclass(frozen=True)
class Caller:
    """Who asks: the actor recorded on every change, and what a restricted caller may see."""

    actor: Actor
    customer_id: UUID | None = None  # a customer's own record; None for everyone else
    partner_id: UUID | None = None  # a partner user's partner; None for everyone else

    @property
    def restricted(self) -> bool:
        """True for customers and partner users: they see only records that are theirs."""
        return self.actor.kind in _RESTRICTED_KINDS

    @property
    def is_partner(self) -> bool:
        return self.actor.kind is ActorKind.PARTNER

    def ensure_may_address(self, customer_id: UUID) -> None:
        """Before a record is read: a customer names only their own (a partner user's
        records are known only once read, see `ensure_may_see`)."""
        if self.actor.kind is ActorKind.CUSTOMER and self.customer_id != customer_id:
            raise not_found(customer_id)
        if self.is_partner and self.partner_id is None:
            raise not_found(customer_id)

    def ensure_may_see(self, customer: Customer) -> None:
        """After a record is read: NotFound, as for an unknown id, when it is not the caller's."""
        self.ensure_may_address(customer.id)
        if self.is_partner and customer.profile.partner_id != self.partner_id:
            raise not_found(customer.id)

    def ensure_may_change(self, customer_id: UUID) -> None:
        """A customer changes only their own record (NotFound for another); a partner user
        changes none."""
        if self.is_partner:
            raise PermissionDenied(f"a {self.actor.kind} may not change customers")
        self.ensure_may_address(customer_id)

    def ensure_unrestricted(self, action: str) -> None:
        if self.restricted:
            raise PermissionDenied(f"a {self.actor.kind} may not {action}")

    def ensure_may_set(self, fields: Collection[str]) -> None:
        if not self.restricted:
            return
        if self.is_partner:
            raise PermissionDenied(f"a {self.actor.kind} may not change customers")
        refused = sorted(set(fields) - CUSTOMER_EDITABLE_FIELDS)
        if refused:
            raise PermissionDenied(
                f"a {self.actor.kind} may not set {', '.join(refused)}; "
                f"editable: {', '.join(sorted(CUSTOMER_EDITABLE_FIELDS))}"
            )

    def visible(self, filters: CustomerFilters) -> CustomerFilters:
        """The filters of a list, limited to what the caller may see."""
        if not self.restricted:
            return filters
        if not self.is_partner:
            raise PermissionDenied(f"a {self.actor.kind} may not list customers")
        if self.partner_id is None:
            raise PermissionDenied("a partner user without a partner may not list customers")
        if filters.partner_id is not None and filters.partner_id != self.partner_id:
            raise PermissionDenied("a partner user may list only their own partner's customers")
        return replace(filters, partner_id=self.partner_id)


def not_found(customer_id: UUID) -> NotFound:
    """The one answer for an unknown record and for one the caller may not see."""
    return NotFound(f"customer {customer_id} not found")
