"""The case use cases: opening (the contact recognized by the customer service first, then
routed to an agent), reading by visibility, the steps of the workflow and the conversation."""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import make_msgid
from uuid import UUID

from crm_platform import paging
from crm_platform.errors import Conflict, FieldViolation, NotFound, ValidationFailed
from crm_platform.paging import Page

from crm_service.domain.cases import (
    Case,
    CaseChannel,
    CaseDetails,
    CaseStatus,
    Contact,
    CustomerRecognition,
    Recognized,
)
from crm_service.domain.clocks import ClockView
from crm_service.domain.values import Actor
from crm_service.service_layer.outbound import Outbound
from crm_service.service_layer.ports import CaseFilters, Customers, UnitOfWork
from crm_service.service_layer.routing import route_in
from crm_service.service_layer.sla import SlaTerms
from crm_service.service_layer.visibility import scope_of

CaseStep = Callable[[Case, Actor, datetime], None]
DEFAULT_REOPEN_WINDOW = timedelta(days=14)


class CaseHandlers:
    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        customers: Customers,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        reopen_window: timedelta = DEFAULT_REOPEN_WINDOW,
        sla: SlaTerms | None = None,
        outbound: Outbound | None = None,
    ) -> None:
        self.uow_factory = uow_factory
        self.customers = customers
        self.clock = clock
        self.reopen_window = reopen_window
        self.sla = sla or SlaTerms()
        self.outbound = outbound or Outbound(make_msgid)

    def open(
        self, actor: Actor, *, details: CaseDetails, channel: CaseChannel | None, contact: Contact
    ) -> Case:
        """A customer's own case comes in on the portal; staff name the contact, whom the
        customer service recognizes before anything is written (down: Unavailable, nothing
        opened)."""
        contact = contact.checked()
        details = details.checked()
        if actor.is_customer:
            recognized = Recognized(CustomerRecognition.RETURNING, actor.customer_id)
            channel = CaseChannel.PORTAL
        else:
            if contact.is_empty:
                raise ValidationFailed(
                    FieldViolation("contact_email", "give the contact's email or phone")
                )
            recognized = self.customers.recognize(contact)
        with self.uow_factory() as uow:
            case = self.open_in(
                uow,
                actor,
                details=details,
                channel=channel or CaseChannel.STAFF,
                contact=contact,
                recognized=recognized,
            )
            uow.commit()
        return case

    def open_in(
        self,
        uow: UnitOfWork,
        actor: Actor,
        *,
        details: CaseDetails,
        channel: CaseChannel,
        contact: Contact,
        recognized: Recognized,
    ) -> Case:
        """`open` in a unit of work the caller commits."""
        case = Case.open(
            id=uuid.uuid4(),
            details=details,
            channel=channel,
            contact=contact,
            recognized=recognized,
            actor=actor,
            now=self.clock(),
            clocks=self.sla.clocks_for(uow, recognized.customer_id, details),
        )
        route_in(uow, case, case.created_at)
        uow.cases.add(case)
        return case

    def clock_views(self, case: Case) -> builtins.list[ClockView]:
        """The case's SLA clocks now, as its answers show them."""
        return self.sla.views(case, self.clock())

    def get(self, actor: Actor, case_id: UUID) -> Case:
        with self.uow_factory() as uow:
            return _visible(uow, actor, case_id)

    def list(
        self,
        actor: Actor,
        *,
        status: CaseStatus | None,
        owner_id: str | None,
        unassigned: bool,
        customer_id: UUID | None,
        page_size: int,
        page_token: str,
    ) -> Page[Case]:
        limit = paging.page_size(page_size)
        after = paging.decode_cursor(page_token)
        with self.uow_factory() as uow:
            scope = scope_of(actor, uow.teams)
            if scope.is_empty:
                return Page([], "")
            filters = CaseFilters(scope, status, owner_id, unassigned, customer_id)
            rows = uow.cases.list(filters, after, limit + 1)
        return paging.page_of(rows, limit, lambda case: (case.created_at, case.id))

    def change(self, actor: Actor, case_id: UUID, expected_version: int, step: CaseStep) -> Case:
        with self.uow_factory() as uow:
            case = _visible(uow, actor, case_id, expected_version)
            before, now = case.status, self.clock()
            step(case, actor, now)
            uow.cases.save(case)
            if case.status is CaseStatus.RESOLVED and before is not CaseStatus.RESOLVED:
                self.outbound.resolved(uow, case, now)  # the satisfaction survey
            uow.commit()
        return case

    def assign(self, actor: Actor, case_id: UUID, expected_version: int, owner_id: str) -> Case:
        return self.change(
            actor, case_id, expected_version, lambda case, who, now: case.assign(who, now, owner_id)
        )

    def reopen(self, actor: Actor, case_id: UUID, expected_version: int, reason: str) -> Case:
        window = self.reopen_window
        return self.change(
            actor,
            case_id,
            expected_version,
            lambda case, who, now: case.reopen(who, now, reason, window),
        )

    def add_message(
        self, actor: Actor, case_id: UUID, expected_version: int, *, body: str, internal: bool
    ) -> Case:
        with self.uow_factory() as uow:
            case = _visible(uow, actor, case_id, expected_version)
            message = case.add_message(
                actor,
                self.clock(),
                message_id=uuid.uuid4(),
                body=body,
                internal=internal,
                mail_id=self.outbound.new_mail_id(),
            )
            uow.cases.save(case)
            self.outbound.reply(uow, case, message)  # a reply the customer sees, by mail
            uow.commit()
        return case


def _visible(uow: UnitOfWork, actor: Actor, case_id: UUID, expected_version: int = 0) -> Case:
    case = uow.cases.get(case_id)
    if case is None or not scope_of(actor, uow.teams).admits(
        owner_id=case.owner_id, customer_id=case.customer_id
    ):
        raise NotFound(f"no case {case_id}")
    if expected_version and expected_version != case.version:
        raise Conflict(f"case {case_id} is at version {case.version}, not {expected_version}")
    return case
