"""Outsourcing's handlers: suggestions, offering a piece of sales' work to a partner, the
partner's answer, staff taking it back, the deadlines role's timeouts, and what sales' events
complete. A decline or a timeout offers the work to the best suggestion left, with a new
deadline in business hours (`AnswerTerms`)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from crm_platform import paging
from crm_platform.calendar import WorkingCalendar
from crm_platform.errors import (
    AlreadyExists,
    Conflict,
    FailedPrecondition,
    FieldViolation,
    NotFound,
    ValidationFailed,
)
from crm_platform.paging import Page

from crm_partner.domain.assignments import (
    Assignment,
    AssignmentState,
    Candidate,
    Work,
    WorkKind,
    WorkOutcome,
)
from crm_partner.domain.suggestions import Suggestions, rank
from crm_partner.domain.values import READER_ROLES, Actor, ActorKind, Place
from crm_partner.service_layer.directory import located
from crm_partner.service_layer.ports import AssignmentFilters, Geocoder, UnitOfWork

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
DUE_BATCH = 100  # timeouts handled per look


@dataclass(frozen=True)
class AnswerTerms:
    """How long a partner has to answer: business minutes of the working calendar."""

    calendar: WorkingCalendar
    answer_minutes: int

    def deadline(self, offered_at: datetime) -> datetime:
        due = self.calendar.add_business_minutes(offered_at, self.answer_minutes)
        # a calendar without working hours in the years searched: calendar time instead
        return due or offered_at + timedelta(minutes=self.answer_minutes)


class OutsourcingHandlers:
    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        geocoder: Geocoder,
        terms: AnswerTerms,
        clock: Clock = lambda: datetime.now(UTC),
    ) -> None:
        self.uow_factory = uow_factory
        self.geocoder = geocoder
        self.terms = terms
        self.clock = clock

    # -- reads ----------------------------------------------------------------------------------

    def suggest(
        self,
        actor: Actor,
        *,
        capabilities: tuple[str, ...],
        place: Place,
        assignment_id: UUID | None,
        limit: int,
    ) -> Suggestions:
        with self.uow_factory() as uow:
            excluded: frozenset[UUID] = frozenset()
            if assignment_id is not None:
                excluded = self._visible(uow, actor, assignment_id).offered_partners
            return rank(
                uow.partners.loads(),
                capabilities=capabilities,
                place=located(self.geocoder, place),
                excluded=excluded,
                limit=limit or 10,
            )

    def get(self, actor: Actor, assignment_id: UUID) -> Assignment:
        with self.uow_factory() as uow:
            return self._visible(uow, actor, assignment_id)

    def list(
        self,
        actor: Actor,
        filters: AssignmentFilters,
        page_size: int,
        page_token: str,
    ) -> Page[Assignment]:
        if actor.kind is ActorKind.PARTNER:
            # a partner user's list is their own partner's, whatever they asked for
            filters = AssignmentFilters(actor.partner_id, filters.state, filters.work_id)
        elif not actor.has_role(READER_ROLES):
            return Page([], "")
        limit = paging.page_size(page_size)
        after = paging.decode_cursor(page_token)
        with self.uow_factory() as uow:
            rows = uow.assignments.list(filters, after, limit + 1)
        return paging.page_of(rows, limit, lambda a: (a.created_at, a.id))

    # -- steps ----------------------------------------------------------------------------------

    def outsource(self, actor: Actor, work: Work, partner_id: UUID | None) -> Assignment:
        now = self.clock()
        work = Work(
            work.kind, work.work_id, work.customer_id, work.capabilities,
            located(self.geocoder, work.place), work.due_at, work.note,
        )  # fmt: skip
        with self.uow_factory() as uow:
            assignment = self.outsource_in(uow, actor, now, work, partner_id)
            uow.commit()
        return assignment

    def outsource_in(
        self, uow: UnitOfWork, actor: Actor, now: datetime, work: Work, partner_id: UUID | None
    ) -> Assignment:
        """Offer the work in a transaction of the caller's (the consumer's for a lead)."""
        existing = uow.assignments.open_for(work.kind, work.work_id)
        if existing is not None:
            raise AlreadyExists(
                f"{work.kind} {work.work_id} is outsourced already", existing_id=str(existing.id)
            )
        first = (
            self._named(uow, partner_id, now)
            if partner_id is not None
            else self._best(uow, work, frozenset(), now)
        )
        if first is None:
            raise FailedPrecondition(
                f"no active partner with the capabilities and free capacity for {work.kind} "
                f"{work.work_id}"
            )
        assignment = Assignment.outsource(actor, now, uuid.uuid4(), work, first)
        uow.assignments.add(assignment)
        return assignment

    def accept(self, actor: Actor, assignment_id: UUID, expected_version: int) -> Assignment:
        with self.uow_factory() as uow:
            assignment = self._visible(uow, actor, assignment_id)
            assignment.accept(actor, self.clock(), expected_version)
            uow.assignments.save(assignment)
            uow.commit()
        return assignment

    def decline(
        self, actor: Actor, assignment_id: UUID, reason: str, expected_version: int
    ) -> Assignment:
        now = self.clock()
        with self.uow_factory() as uow:
            assignment = self._visible(uow, actor, assignment_id)
            following = self._best(uow, assignment.work, assignment.offered_partners, now)
            assignment.decline(actor, now, reason, following, expected_version)
            uow.assignments.save(assignment)
            uow.commit()
        return assignment

    def withdraw(self, actor: Actor, assignment_id: UUID, expected_version: int) -> Assignment:
        with self.uow_factory() as uow:
            assignment = self._visible(uow, actor, assignment_id)
            assignment.withdraw(actor, self.clock(), expected_version)
            uow.assignments.save(assignment)
            uow.commit()
        return assignment

    def expire_due(self, actor: Actor) -> int:
        """Every offer past its deadline times out and the work goes to the next partner, each
        in its own transaction (another look, or another replica of the role, that got there
        first makes it a Conflict: skipped). The number of offers timed out."""
        now = self.clock()
        with self.uow_factory() as uow:
            due = uow.assignments.due(now, DUE_BATCH)
        expired = 0
        for assignment_id in due:
            try:
                with self.uow_factory() as uow:
                    assignment = uow.assignments.get(assignment_id)
                    if assignment is None or not assignment.is_due(now):
                        continue
                    following = self._best(uow, assignment.work, assignment.offered_partners, now)
                    assignment.expire(actor, now, following)
                    uow.assignments.save(assignment)
                    uow.commit()
                    expired += 1
            except Conflict:
                log.info("assignment %s changed while it timed out; looked at again", assignment_id)
        return expired

    def complete_in(
        self, uow: UnitOfWork, actor: Actor, kind: WorkKind, work_id: UUID, outcome: WorkOutcome
    ) -> None:
        """Sales says how the work ended (its consumer's transaction)."""
        assignment = uow.assignments.open_for(kind, work_id)
        if assignment is not None and assignment.complete(actor, self.clock(), outcome):
            uow.assignments.save(assignment)

    def delivered_in(self, uow: UnitOfWork, actor: Actor, order_id: UUID, at: datetime) -> None:
        """Sales' order was delivered: on time when by the assignment's due date."""
        assignment = uow.assignments.open_for(WorkKind.ORDER, order_id)
        if assignment is None or assignment.state is not AssignmentState.ACCEPTED:
            return
        due = assignment.work.due_at
        on_time = due is None or at <= due
        outcome = WorkOutcome.DELIVERED_ON_TIME if on_time else WorkOutcome.DELIVERED_LATE
        if assignment.complete(actor, self.clock(), outcome):
            uow.assignments.save(assignment)

    # -- inside ---------------------------------------------------------------------------------

    def _visible(self, uow: UnitOfWork, actor: Actor, assignment_id: UUID) -> Assignment:
        assignment = uow.assignments.get(assignment_id)
        if assignment is None or not assignment.visible_to(actor):
            raise NotFound(f"no assignment {assignment_id}")
        return assignment

    def _best(
        self, uow: UnitOfWork, work: Work, excluded: frozenset[UUID], now: datetime
    ) -> Candidate | None:
        found = rank(
            uow.partners.loads(),
            capabilities=work.capabilities,
            place=work.place,
            excluded=excluded,
            limit=1,
        ).items
        if not found:
            return None
        partner = found[0].load.partner
        return Candidate(partner.id, partner.name, self.terms.deadline(now))

    def _named(self, uow: UnitOfWork, partner_id: UUID, now: datetime) -> Candidate:
        partner = uow.partners.get(partner_id)
        if partner is None:
            raise ValidationFailed(FieldViolation("partner_id", f"no partner {partner_id}"))
        if not partner.profile.active:
            raise FailedPrecondition(f"partner {partner_id} is inactive")
        if uow.partners.open_assignments(partner_id) >= partner.profile.capacity:
            raise FailedPrecondition(f"partner {partner_id} has no free capacity")
        return Candidate(partner.id, partner.name, self.terms.deadline(now))
