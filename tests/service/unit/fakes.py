"""An in-memory unit of work for the case handlers (visibility and version checks without a
database) and a customer service that recognizes a table of contacts, or is down."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Self
from uuid import UUID

from crm_platform.errors import Conflict, Unavailable
from crm_platform.paging import Cursor
from crm_service.domain.cases import (
    OPEN,
    Case,
    CaseStatus,
    CaseType,
    Contact,
    CustomerRecognition,
    Recognized,
)
from crm_service.domain.contacts import CustomerContact
from crm_service.domain.outbound import MailStatus, OutboundMail
from crm_service.domain.routing import Agent, AgentLoad, Team
from crm_service.domain.sla import Agreement
from crm_service.domain.values import Actor, ActorKind
from crm_service.service_layer.ports import CaseFilters

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
AGENT = Actor("agent-1", ActorKind.STAFF, frozenset({"service_agent"}))
OTHER_AGENT = Actor("agent-2", ActorKind.STAFF, frozenset({"service_agent"}))
MANAGER = Actor("manager-1", ActorKind.STAFF, frozenset({"manager"}))
ADMIN = Actor("admin-1", ActorKind.STAFF, frozenset({"admin"}))
SALES_REP = Actor("rep-1", ActorKind.STAFF, frozenset({"sales_rep"}))
CUSTOMER_ID = UUID("00000000-0000-4000-8000-000000000001")
CUSTOMER = Actor("cust-user-1", ActorKind.CUSTOMER, frozenset({"customer"}), CUSTOMER_ID)
OTHER_CUSTOMER = Actor(
    "cust-user-2",
    ActorKind.CUSTOMER,
    frozenset({"customer"}),
    UUID("00000000-0000-4000-8000-000000000002"),
)


class Clock:
    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class FakeCustomers:
    """Email or phone -> (recognition, customer id); `down` answers nothing."""

    def __init__(self) -> None:
        self.known: dict[str, Recognized] = {}
        self.down = False
        self.asked: list[Contact] = []

    def recognize(self, contact: Contact) -> Recognized:
        self.asked.append(contact)
        if self.down:
            raise Unavailable("the customer service is unavailable")
        for key in (contact.email, contact.phone):
            if key and key in self.known:
                return self.known[key]
        return Recognized(CustomerRecognition.NEW, None)


class FakeCases:
    def __init__(self, store: FakeStore, uow: FakeUnitOfWork) -> None:
        self.store, self.uow = store, uow

    def get(self, case_id: UUID) -> Case | None:
        stored = self.store.cases.get(case_id)
        return None if stored is None else self.uow.loaded(stored)

    def add(self, case: Case) -> None:
        self.uow.pending[case.id] = case
        self.uow.read[case.id] = 0
        self.uow.seen.append(case)

    def save(self, case: Case) -> None:
        self.uow.pending[case.id] = case

    def list(self, filters: CaseFilters, after: Cursor | None, limit: int) -> list[Case]:
        rows = [
            case
            for case in self.store.cases.values()
            if filters.scope.admits(owner_id=case.owner_id, customer_id=case.customer_id)
            and (filters.status is None or case.status is filters.status)
            and (filters.owner_id is None or case.owner_id == filters.owner_id)
            and (not filters.unassigned or case.owner_id is None)
            and (filters.customer_id is None or case.customer_id == filters.customer_id)
            and (after is None or (case.created_at, case.id) < after)
        ]
        rows.sort(key=lambda case: (case.created_at, case.id), reverse=True)
        return [self.uow.loaded(case) for case in rows[:limit]]

    def find_by_reference(self, reference: str) -> Case | None:
        found = [case for case in self.store.cases.values() if case.reference == reference]
        return self.uow.loaded(found[0]) if found else None

    def find_by_mail(self, mail_ids: list[str]) -> Case | None:
        for case in self.store.cases.values():
            if any(message.mail_id in mail_ids for message in case.messages if message.mail_id):
                return self.uow.loaded(case)
        return None

    def resolved_before(self, moment: datetime, limit: int) -> list[UUID]:
        found = [
            case
            for case in self.store.cases.values()
            if case.status is CaseStatus.RESOLVED
            and case.resolved_at is not None
            and case.resolved_at < moment
        ]
        found.sort(key=lambda case: (case.resolved_at, case.id))
        return [case.id for case in found[:limit]]

    def latest_open_of(self, customer_id: UUID | None, phone: str) -> Case | None:
        found = [
            case
            for case in self.store.cases.values()
            if case.is_open
            and (case.customer_id == customer_id if customer_id else case.contact.phone == phone)
        ]
        found.sort(key=lambda case: (case.created_at, case.id))
        return self.uow.loaded(found[-1]) if found else None

    def with_running_clocks(self, after: Cursor | None, limit: int) -> list[Case]:
        rows = [
            case
            for case in self.store.cases.values()
            if case.is_open
            and any(clock.breached_at is None for clock in case.clocks)
            and (after is None or (case.created_at, case.id) > after)
        ]
        rows.sort(key=lambda case: (case.created_at, case.id))
        return [self.uow.loaded(case) for case in rows[:limit]]


class FakeAgreements:
    def __init__(self, store: FakeStore) -> None:
        self.store = store

    def get(self, agreement_id: UUID) -> Agreement | None:
        stored = self.store.agreements.get(agreement_id)
        return None if stored is None else copy.deepcopy(stored)

    def of_customer(self, customer_id: UUID) -> list[Agreement]:
        return [
            copy.deepcopy(agreement)
            for agreement in self.store.agreements.values()
            if agreement.customer_id == customer_id
        ]

    def list(self, customer_id: UUID | None, after: Cursor | None, limit: int) -> list[Agreement]:
        rows = [
            agreement
            for agreement in self.store.agreements.values()
            if customer_id in (None, agreement.customer_id)
            and (after is None or (agreement.created_at, agreement.id) > after)
        ]
        rows.sort(key=lambda agreement: (agreement.created_at, agreement.id))
        return [copy.deepcopy(agreement) for agreement in rows[:limit]]

    def add(self, agreement: Agreement) -> None:
        self.store.agreements[agreement.id] = copy.deepcopy(agreement)

    def save(self, agreement: Agreement) -> None:
        self.store.agreements[agreement.id] = copy.deepcopy(agreement)


class FakeTeams:
    def __init__(self, store: FakeStore) -> None:
        self.store = store

    def colleagues_of(self, subject: str) -> frozenset[str]:
        return frozenset(
            member for members in self.store.teams if subject in members for member in members
        )


class FakeRouting:
    def __init__(self, store: FakeStore) -> None:
        self.store = store

    def add_team(self, team: Team) -> None:
        self.store.teams_by_id[team.id] = team

    def team(self, team_id: UUID) -> Team | None:
        return self.store.teams_by_id.get(team_id)

    def teams(self) -> list[Team]:
        return list(self.store.teams_by_id.values())

    def agent(self, user_id: str) -> Agent | None:
        return self.store.agents.get(user_id)

    def put_agent(self, agent: Agent) -> None:
        self.store.agents[agent.user_id] = agent

    def loads(self, team_id: UUID | None = None) -> list[AgentLoad]:
        open_cases = [c.owner_id for c in self.store.cases.values() if c.status in OPEN]
        return [
            AgentLoad(agent, open_cases.count(agent.user_id))
            for user, agent in sorted(self.store.agents.items())
            if team_id is None or agent.team_id == team_id
        ]

    def required_skills(self) -> dict[CaseType, str]:
        return dict(self.store.required)

    def set_required_skill(self, case_type: CaseType, skill: str) -> None:
        self.store.required.pop(case_type, None)
        if skill:
            self.store.required[case_type] = skill

    def lock_cursor(self, skill: str) -> str | None:
        return self.store.cursors.get(skill)

    def advance_cursor(self, skill: str, user_id: str) -> None:
        self.store.cursors[skill] = user_id


class FakeOutbound:
    def __init__(self, store: FakeStore) -> None:
        self.store = store

    def add(self, mail: OutboundMail) -> None:
        self.store.mail[mail.id] = copy.deepcopy(mail)

    def get(self, mail_id: UUID) -> OutboundMail | None:
        stored = self.store.mail.get(mail_id)
        return None if stored is None else copy.deepcopy(stored)

    def save(self, mail: OutboundMail) -> None:
        self.store.mail[mail.id] = copy.deepcopy(mail)

    def due(self, now: datetime, limit: int) -> list[OutboundMail]:
        rows = [
            m
            for m in self.store.mail.values()
            if m.status is MailStatus.QUEUED and m.next_attempt_at <= now
        ]
        return [copy.deepcopy(m) for m in sorted(rows, key=lambda m: m.next_attempt_at)][:limit]

    def claimed_before(self, moment: datetime) -> list[OutboundMail]:
        return [
            copy.deepcopy(m)
            for m in self.store.mail.values()
            if m.status is MailStatus.SENDING and m.claimed_at is not None and m.claimed_at < moment
        ]

    def of_case(self, case_id: UUID) -> list[OutboundMail]:
        return [copy.deepcopy(m) for m in self.store.mail.values() if m.case_id == case_id]


class FakeContacts:
    def __init__(self, store: FakeStore) -> None:
        self.store = store

    def get(self, customer_id: UUID) -> CustomerContact | None:
        return self.store.contacts.get(customer_id)

    def put(self, contact: CustomerContact) -> None:
        found = self.store.contacts.get(contact.customer_id)
        if found is None or found.version < contact.version:
            self.store.contacts[contact.customer_id] = contact

    def by_email(self, email: str) -> CustomerContact | None:
        return self._one(lambda c: bool(email) and c.email == email)

    def by_phone(self, phone: str) -> CustomerContact | None:
        return self._one(lambda c: bool(phone) and c.phone == phone)

    def clear(self) -> None:
        self.store.contacts.clear()

    def _one(self, matches: Callable[[CustomerContact], bool]) -> CustomerContact | None:
        found = [c for c in self.store.contacts.values() if matches(c) and not c.merged_into_id]
        return found[0] if found else None


class FakeStore:
    def __init__(self) -> None:
        self.mail: dict[UUID, OutboundMail] = {}
        self.contacts: dict[UUID, CustomerContact] = {}
        self.cases: dict[UUID, Case] = {}
        self.teams_by_id: dict[UUID, Team] = {}
        self.agents: dict[str, Agent] = {}
        self.required: dict[CaseType, str] = {}
        self.cursors: dict[str, str] = {}
        self.agreements: dict[UUID, Agreement] = {}
        self.teams: list[frozenset[str]] = []  # each team's agents and manager
        self.events: list[Any] = []
        self.commits = 0


class FakeUnitOfWork:
    def __init__(self, store: FakeStore) -> None:
        self.store = store

    def __enter__(self) -> Self:
        self.pending: dict[UUID, Case] = {}
        self.read: dict[UUID, int] = {}
        self.seen: list[Case] = []
        self.cases = FakeCases(self.store, self)
        self.teams = FakeTeams(self.store)
        self.routing = FakeRouting(self.store)
        self.agreements = FakeAgreements(self.store)
        self.outbound = FakeOutbound(self.store)
        self.contacts = FakeContacts(self.store)
        return self

    def __exit__(self, *exc: object) -> None:
        self.pending = {}

    def loaded(self, stored: Case) -> Case:
        case = copy.deepcopy(stored)
        self.read[case.id] = case.version
        self.seen.append(case)
        return case

    def commit(self) -> None:
        for case in self.seen:
            self.store.events.extend(case.pull_events())
        for case_id, case in self.pending.items():
            stored = self.store.cases.get(case_id)
            if stored is not None and stored.version != self.read[case_id]:
                raise Conflict("changed concurrently")
            self.store.cases[case_id] = copy.deepcopy(case)
        self.store.commits += 1
        self.pending = {}

    def rollback(self) -> None:
        self.pending = {}
