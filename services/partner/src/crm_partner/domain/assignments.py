"""Outsourcing: a piece of sales' work (an order, an opportunity, a lead) offered to one
partner at a time. The offered partner accepts or declines before the offer's deadline
(business hours from the offer); a decline or a timeout offers it to the next suggested
partner, never to one offered it before, until one accepts or none is left (unplaced). The
accepted work is completed by sales' events: the order delivered (on time or late), the
opportunity won or lost.

Every step is one event with its own version, so a reader that keeps the newest version
(sales' holder of an order) sees each step in order.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from crm_platform.errors import Conflict, FailedPrecondition, NotFound, PermissionDenied

from crm_partner.domain.values import (
    MANAGER_ROLES,
    READER_ROLES,
    SALES_ROLES,
    Actor,
    ActorKind,
    Place,
)

NOTE_MAX_LENGTH = 2000


class WorkKind(StrEnum):
    ORDER = "order"
    OPPORTUNITY = "opportunity"
    LEAD = "lead"


class AssignmentState(StrEnum):
    OFFERED = "offered"
    ACCEPTED = "accepted"
    UNPLACED = "unplaced"
    WITHDRAWN = "withdrawn"
    COMPLETED = "completed"


OPEN_STATES = (AssignmentState.OFFERED, AssignmentState.ACCEPTED)


class OfferAnswer(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


class WorkOutcome(StrEnum):
    DELIVERED_ON_TIME = "delivered_on_time"
    DELIVERED_LATE = "delivered_late"
    WON = "won"
    LOST = "lost"


@dataclass(frozen=True)
class Offer:
    partner_id: UUID
    partner_name: str
    offered_at: datetime
    deadline: datetime
    answer: OfferAnswer = OfferAnswer.PENDING
    answered_at: datetime | None = None
    reason: str = ""


@dataclass(frozen=True)
class Candidate:
    """The partner the work is offered to next, and when its answer is due."""

    partner_id: UUID
    partner_name: str
    deadline: datetime


@dataclass(frozen=True)
class Work:
    """What is outsourced: sales' record, its customer, what it needs and where it is."""

    kind: WorkKind
    work_id: UUID
    customer_id: UUID | None
    capabilities: tuple[str, ...]
    place: Place
    due_at: datetime | None
    note: str


@dataclass(frozen=True)
class AssignmentView:
    """The assignment as it stood at an event."""

    id: UUID
    work: Work
    state: AssignmentState
    offers: tuple[Offer, ...]
    outcome: WorkOutcome | None
    version: int
    created_at: datetime
    updated_at: datetime

    @property
    def current(self) -> Offer | None:
        return current_offer(self.state, self.offers)


@dataclass(frozen=True)
class AssignmentEvent:
    assignment: AssignmentView
    actor: Actor

    @property
    def subject_id(self) -> UUID:
        return self.assignment.id


class AssignmentOffered(AssignmentEvent):
    pass


class AssignmentAccepted(AssignmentEvent):
    pass


@dataclass(frozen=True)
class AssignmentDeclined(AssignmentEvent):
    partner_id: UUID
    reason: str


@dataclass(frozen=True)
class AssignmentExpired(AssignmentEvent):
    partner_id: UUID


class AssignmentUnplaced(AssignmentEvent):
    pass


class AssignmentWithdrawn(AssignmentEvent):
    pass


class AssignmentCompleted(AssignmentEvent):
    pass


def current_offer(state: AssignmentState, offers: tuple[Offer, ...] | list[Offer]) -> Offer | None:
    """The offer of the partner that is offered the work now or holds it."""
    if state in OPEN_STATES and offers:
        return offers[-1]
    return None


@dataclass
class Assignment:
    id: UUID
    work: Work
    state: AssignmentState
    offers: list[Offer]
    version: int
    created_at: datetime
    updated_at: datetime
    outcome: WorkOutcome | None = None
    _events: list[object] = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def outsource(
        cls, actor: Actor, now: datetime, assignment_id: UUID, work: Work, first: Candidate
    ) -> Assignment:
        """Staff offer the work to its first partner, or the service itself does (a joint
        campaign's lead goes to its sponsor)."""
        if not (actor.has_role(SALES_ROLES) or actor.kind in (ActorKind.SERVICE, ActorKind.SYSTEM)):
            raise PermissionDenied(f"{actor.subject} may not outsource work")
        assignment = cls(assignment_id, work, AssignmentState.OFFERED, [], 0, now, now)
        assignment._offer(actor, now, first)
        return assignment

    # -- queries --------------------------------------------------------------------------------

    @property
    def current(self) -> Offer | None:
        return current_offer(self.state, self.offers)

    @property
    def partner_id(self) -> UUID | None:
        offer = self.current
        return None if offer is None else offer.partner_id

    @property
    def offered_partners(self) -> frozenset[UUID]:
        """Every partner offered it so far: none is offered it twice."""
        return frozenset(offer.partner_id for offer in self.offers)

    def visible_to(self, actor: Actor) -> bool:
        """Staff who work with outsourcing see every assignment; a partner user those offered
        to their partner (now or before)."""
        if actor.has_role(READER_ROLES):
            return True
        return actor.kind is ActorKind.PARTNER and actor.partner_id in self.offered_partners

    def is_due(self, now: datetime) -> bool:
        offer = self.current
        return self.state is AssignmentState.OFFERED and offer is not None and offer.deadline <= now

    # -- steps ----------------------------------------------------------------------------------

    def accept(self, actor: Actor, now: datetime, expected_version: int = 0) -> None:
        offer = self._answerable(actor, now, expected_version)
        self.offers[-1] = replace(offer, answer=OfferAnswer.ACCEPTED, answered_at=now)
        self._step(now, AssignmentState.ACCEPTED)
        self._events.append(AssignmentAccepted(self.view(), actor))

    def decline(
        self,
        actor: Actor,
        now: datetime,
        reason: str,
        following: Candidate | None,
        expected_version: int = 0,
    ) -> None:
        """The offered partner refuses; the work goes to `following` (None: nobody is left)."""
        offer = self._answerable(actor, now, expected_version)
        self.offers[-1] = replace(
            offer, answer=OfferAnswer.DECLINED, answered_at=now, reason=reason.strip()
        )
        self._step(now, AssignmentState.OFFERED)
        self._events.append(
            AssignmentDeclined(self.view(), actor, offer.partner_id, reason.strip())
        )
        self._pass_on(actor, now, following)

    def expire(self, actor: Actor, now: datetime, following: Candidate | None) -> None:
        """The deadline passed without an answer (the deadlines role)."""
        offer = self.current
        if offer is None or not self.is_due(now):
            raise FailedPrecondition(f"assignment {self.id} has no offer past its deadline")
        self.offers[-1] = replace(offer, answer=OfferAnswer.EXPIRED, answered_at=now)
        self._step(now, AssignmentState.OFFERED)
        self._events.append(AssignmentExpired(self.view(), actor, offer.partner_id))
        self._pass_on(actor, now, following)

    def withdraw(self, actor: Actor, now: datetime, expected_version: int = 0) -> None:
        if not actor.has_role(MANAGER_ROLES):
            raise PermissionDenied(f"{actor.subject} may not withdraw assignment {self.id}")
        self._expect(expected_version)
        offer = self.current
        if offer is None:
            raise FailedPrecondition(f"assignment {self.id} is {self.state}: nobody holds it")
        if offer.answer is OfferAnswer.PENDING:
            self.offers[-1] = replace(offer, answer=OfferAnswer.WITHDRAWN, answered_at=now)
        self._step(now, AssignmentState.WITHDRAWN)
        self._events.append(AssignmentWithdrawn(self.view(), actor))

    def complete(self, actor: Actor, now: datetime, outcome: WorkOutcome) -> bool:
        """Sales says how the work ended; only held work completes (False: not held, nothing
        changes, as when sales' event comes again)."""
        if self.state is not AssignmentState.ACCEPTED:
            return False
        self.outcome = outcome
        self._step(now, AssignmentState.COMPLETED)
        self._events.append(AssignmentCompleted(self.view(), actor))
        return True

    def view(self) -> AssignmentView:
        return AssignmentView(
            self.id,
            self.work,
            self.state,
            tuple(self.offers),
            self.outcome,
            self.version,
            self.created_at,
            self.updated_at,
        )

    def pull_events(self) -> list[object]:
        events, self._events = self._events, []
        return events

    # -- inside ---------------------------------------------------------------------------------

    def _answerable(self, actor: Actor, now: datetime, expected_version: int) -> Offer:
        offer = self.current
        if offer is None or not actor.works_for(offer.partner_id):
            if self.visible_to(actor):
                raise FailedPrecondition(f"assignment {self.id} is not offered to your partner")
            raise NotFound(f"no assignment {self.id}")
        self._expect(expected_version)
        if self.state is not AssignmentState.OFFERED:
            raise FailedPrecondition(f"assignment {self.id} is {self.state}: nothing to answer")
        if offer.deadline <= now:
            raise FailedPrecondition(
                f"the answer to assignment {self.id} was due at {offer.deadline.isoformat()}"
            )
        return offer

    def _expect(self, expected_version: int) -> None:
        if expected_version and expected_version != self.version:
            raise Conflict(
                f"assignment {self.id} is at version {self.version}, not {expected_version}"
            )

    def _pass_on(self, actor: Actor, now: datetime, following: Candidate | None) -> None:
        if following is None:
            self._step(now, AssignmentState.UNPLACED)
            self._events.append(AssignmentUnplaced(self.view(), actor))
        else:
            self._offer(actor, now, following)

    def _offer(self, actor: Actor, now: datetime, candidate: Candidate) -> None:
        if candidate.partner_id in self.offered_partners:
            raise FailedPrecondition(
                f"partner {candidate.partner_id} was offered assignment {self.id} before"
            )
        self.offers.append(
            Offer(candidate.partner_id, candidate.partner_name, now, candidate.deadline)
        )
        self._step(now, AssignmentState.OFFERED)
        self._events.append(AssignmentOffered(self.view(), actor))

    def _step(self, now: datetime, state: AssignmentState) -> None:
        self.state = state
        self.version += 1
        self.updated_at = now
