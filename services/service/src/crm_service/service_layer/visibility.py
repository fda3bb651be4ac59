"""Who sees which cases: one rule for every part of the service.

- admin and analyst see every case;
- other staff (an agent, a manager) see the cases they own, those of their teams' agents (a
  manager manages their teams; an agent works beside theirs) and the unassigned queue;
- a customer sees their own cases (without internal notes: the aggregate's
  `conversation_for`);
- nobody else sees anything.

A case the caller may not see is NOT_FOUND, as if it did not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from crm_service.domain.values import Actor, ActorKind
from crm_service.service_layer.ports import TeamDirectory

SEE_ALL_ROLES = frozenset({"admin", "analyst"})


@dataclass(frozen=True)
class Scope:
    """The cases one caller may see; the repositories turn it into a WHERE clause
    (adapters/visibility.py) and `admits` checks one case already loaded."""

    everything: bool = False
    owner_ids: frozenset[str] = frozenset()  # staff whose cases are visible
    unowned: bool = False  # and the unassigned queue
    customer_id: UUID | None = None  # a customer's own cases

    def admits(self, *, owner_id: str | None, customer_id: UUID | None) -> bool:
        if self.everything:
            return True
        if self.customer_id is not None:
            return customer_id == self.customer_id
        if owner_id is None:
            return self.unowned
        return owner_id in self.owner_ids

    @property
    def is_empty(self) -> bool:
        return not (
            self.everything or self.owner_ids or self.unowned or self.customer_id is not None
        )


def scope_of(actor: Actor, teams: TeamDirectory) -> Scope:
    match actor.kind:
        case ActorKind.STAFF if actor.roles & SEE_ALL_ROLES:
            return Scope(everything=True)
        case ActorKind.STAFF if actor.is_agent:
            return Scope(
                owner_ids=frozenset({actor.subject}) | teams.colleagues_of(actor.subject),
                unowned=True,
            )
        case ActorKind.CUSTOMER if actor.customer_id is not None:
            return Scope(customer_id=actor.customer_id)
        case ActorKind.SERVICE | ActorKind.SYSTEM:
            # the service's own roles (the mail listener, the jobs) and trusted machines
            return Scope(everything=True)
    return Scope()
