"""SLA use cases: the service agreements, the clocks a new case gets, the clocks as answers
show them, and the jobs role's evaluation, which records each clock's warning and breach
once and escalates a breached case to its owner's team's manager."""

from __future__ import annotations

import builtins
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from crm_platform import paging
from crm_platform.calendar import CalendarSpec, WorkingCalendar, parse_hours
from crm_platform.errors import Conflict, NotFound
from crm_platform.paging import Cursor, Page

from crm_service.domain.cases import Case, CaseDetails
from crm_service.domain.clocks import ClockKind, ClockView, SlaClock
from crm_service.domain.sla import Agreement, SlaPolicy, Target, agreement_for
from crm_service.domain.values import Actor
from crm_service.service_layer.ports import Calendars, UnitOfWork

log = logging.getLogger(__name__)

DEFAULT_POLICY = SlaPolicy((Target(first_response_minutes=240, resolution_minutes=2880),))
DEFAULT_CALENDAR = CalendarSpec("UTC", parse_hours("mon-fri 09:00-17:00"))
BATCH = 200  # cases evaluated per look


@dataclass(frozen=True)
class SlaTerms:
    """What a case without an agreement gets, and how calendars count."""

    default_policy: SlaPolicy = DEFAULT_POLICY
    default_calendar: CalendarSpec = DEFAULT_CALENDAR
    calendars: Calendars = WorkingCalendar

    def clocks_for(
        self, uow: UnitOfWork, customer_id: UUID | None, details: CaseDetails
    ) -> builtins.list[SlaClock]:
        """The clocks of a case opening now, under the customer's agreement in force."""
        agreements = [] if customer_id is None else uow.agreements.of_customer(customer_id)
        agreement = agreement_for(agreements, details.type, details.order_ref)
        policy = self.default_policy if agreement is None else agreement.policy
        calendar = self.default_calendar if agreement is None else agreement.calendar
        target = policy.target_for(details.type, details.priority)
        return [
            SlaClock(
                kind=kind,
                target_minutes=target.minutes(kind),
                calendar=calendar,
                agreement_id=None if agreement is None else agreement.id,
            )
            for kind in ClockKind
        ]

    def views(self, case: Case, now: datetime) -> builtins.list[ClockView]:
        return case.clock_views(self.calendars, now)


class AgreementHandlers:
    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        terms: SlaTerms,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.uow_factory = uow_factory
        self.terms = terms
        self.clock = clock

    def create(
        self,
        actor: Actor,
        *,
        customer_id: UUID,
        order_ref: str,
        name: str,
        policy: SlaPolicy,
        calendar: CalendarSpec,
    ) -> Agreement:
        agreement = Agreement.make(
            id=uuid.uuid4(),
            customer_id=customer_id,
            order_ref=order_ref,
            name=name,
            policy=policy,
            calendar=calendar,
            actor=actor,
            now=self.clock(),
        )
        self.terms.calendars(agreement.calendar)  # its country must have a holiday table
        with self.uow_factory() as uow:
            uow.agreements.add(agreement)
            uow.commit()
        return agreement

    def update(
        self,
        actor: Actor,
        agreement_id: UUID,
        expected_version: int,
        *,
        name: str,
        policy: SlaPolicy,
        calendar: CalendarSpec,
    ) -> Agreement:
        with self.uow_factory() as uow:
            agreement = self._get(uow, agreement_id)
            if expected_version and expected_version != agreement.version:
                raise Conflict(
                    f"agreement {agreement_id} is at version {agreement.version}, "
                    f"not {expected_version}"
                )
            agreement.change(actor, self.clock(), name=name, policy=policy, calendar=calendar)
            self.terms.calendars(agreement.calendar)
            uow.agreements.save(agreement)
            uow.commit()
        return agreement

    def get(self, agreement_id: UUID) -> Agreement:
        with self.uow_factory() as uow:
            return self._get(uow, agreement_id)

    def list(self, customer_id: UUID | None, page_size: int, page_token: str) -> Page[Agreement]:
        limit = paging.page_size(page_size)
        after = paging.decode_cursor(page_token)
        with self.uow_factory() as uow:
            rows = uow.agreements.list(customer_id, after, limit + 1)
        return paging.page_of(rows, limit, lambda agreement: (agreement.created_at, agreement.id))

    @staticmethod
    def _get(uow: UnitOfWork, agreement_id: UUID) -> Agreement:
        agreement = uow.agreements.get(agreement_id)
        if agreement is None:
            raise NotFound(f"no agreement {agreement_id}")
        return agreement


class SlaMonitor:
    """The jobs role's look at the clocks: each case in a transaction of its own, whose
    recorded warning or breach commits with its events (claimed on the clock's row: a second
    look, after a restart or on another replica, sends none again)."""

    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        terms: SlaTerms,
        *,
        warning_share: float,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        batch: int = BATCH,
    ) -> None:
        self.uow_factory = uow_factory
        self.terms = terms
        self.warning_share = warning_share
        self.clock = clock
        self.batch = batch

    def evaluate(self) -> int:
        """Look at every open case's clocks once, a batch of cases read at a time; the number
        of cases whose clocks were recorded."""
        now = self.clock()
        changed = 0
        after: Cursor | None = None
        while True:
            with self.uow_factory() as uow:
                batch = uow.cases.with_running_clocks(after, self.batch)
            for case in batch:
                if not self._due(case, now):
                    continue  # most looks find nothing: no transaction for those
                try:
                    changed += self._evaluate(case.id, now)
                except Conflict:
                    # someone changed the case, or recorded it first: the next look sees it
                    log.info("case %s changed while its clocks were evaluated", case.id)
            if len(batch) < self.batch:
                return changed
            after = (batch[-1].created_at, batch[-1].id)

    def _due(self, case: Case, now: datetime) -> bool:
        return any(
            view.due_warning(self.warning_share) or view.due_breach
            for view in self.terms.views(case, now)
        )

    def _evaluate(self, case_id: UUID, now: datetime) -> int:
        with self.uow_factory() as uow:
            case = uow.cases.get(case_id)
            if case is None or not case.is_open:
                return 0
            recorded = False
            for view in self.terms.views(case, now):
                if view.due_warning(self.warning_share):
                    case.record_warning(view, now)
                    recorded = True
                if view.due_breach:
                    case.record_breach(view, now, self._manager_of(uow, case.owner_id))
                    recorded = True
            if not recorded:
                return 0
            uow.cases.save(case)
            uow.commit()
            return 1

    @staticmethod
    def _manager_of(uow: UnitOfWork, owner_id: str | None) -> str | None:
        agent = None if owner_id is None else uow.routing.agent(owner_id)
        team = None if agent is None or agent.team_id is None else uow.routing.team(agent.team_id)
        return None if team is None else team.manager_id
