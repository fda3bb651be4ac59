"""Who sees which records of the sales service: one rule for orders, leads, opportunities,
activities, quotes and expenses, so that every part of the service answers alike.

- admin, finance and analyst see everything;
- other staff (a manager, a sales rep) see what they own, what the members of their teams own
  (a manager manages their team; a rep works beside theirs), and what nobody owns yet;
- a customer sees the records of their own customer id;
- a partner user sees what was assigned to their partner;
- nobody else sees anything.

A record the caller may not see is NOT_FOUND, as if it did not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from crm_sales.domain.values import Actor, ActorKind
from crm_sales.service_layer.ports import TeamDirectory

SEE_ALL_ROLES = frozenset({"admin", "finance", "analyst"})


@dataclass(frozen=True)
class Scope:
    """The records one caller may see; the repositories turn it into a WHERE clause
    (adapters/visibility.py) and `admits` checks one record already loaded."""

    everything: bool = False
    owner_ids: frozenset[str] = frozenset()  # staff whose records are visible
    unowned: bool = False  # and the records nobody owns yet
    customer_id: UUID | None = None  # a customer's own records
    partner_id: UUID | None = None  # the records assigned to a partner

    def admits(
        self,
        *,
        owner_id: str | None,
        customer_id: UUID | None = None,
        partner_id: UUID | None = None,
    ) -> bool:
        if self.everything:
            return True
        if self.customer_id is not None and customer_id == self.customer_id:
            return True
        if self.partner_id is not None and partner_id == self.partner_id:
            return True
        if owner_id is None:
            return self.unowned
        return owner_id in self.owner_ids

    @property
    def is_empty(self) -> bool:
        return not (
            self.everything
            or self.owner_ids
            or self.unowned
            or self.customer_id is not None
            or self.partner_id is not None
        )


def sees_everything(actor: Actor) -> bool:
    return actor.kind is ActorKind.STAFF and bool(actor.roles & SEE_ALL_ROLES)


def scope_of(actor: Actor, teams: TeamDirectory) -> Scope:
    match actor.kind:
        case ActorKind.STAFF if sees_everything(actor):
            return Scope(everything=True)
        case ActorKind.STAFF:
            return Scope(
                owner_ids=frozenset({actor.subject}) | teams.colleagues_of(actor.subject),
                unowned=True,
            )
        case ActorKind.CUSTOMER if actor.customer_id is not None:
            return Scope(customer_id=actor.customer_id)
        case ActorKind.PARTNER if actor.partner_id is not None:
            return Scope(partner_id=actor.partner_id)
    return Scope()
