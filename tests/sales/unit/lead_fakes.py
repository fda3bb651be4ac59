"""An in-memory unit of work for the lead and team handlers: the repositories' behaviour
(visibility, duplicates, this month's counts, the round-robin cursor) without a database."""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import random
from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Self
from uuid import UUID, uuid4

from crm_platform.errors import AlreadyExists, Conflict, FailedPrecondition
from crm_platform.paging import Cursor
from crm_sales.domain.assignment import AssignmentReason, month_of
from crm_sales.domain.leads import OPEN, Contact, Lead
from crm_sales.domain.opportunities import Opportunity, PipelineStages
from crm_sales.domain.scoring import Features, WinModel
from crm_sales.domain.teams import LeadSource, Team
from crm_sales.service_layer.leads import (
    ConvertedCustomer,
    CustomersUnavailable,
    LeadFilters,
    LeadHandlers,
)
from crm_sales.service_layer.teams import TeamHandlers

from tests.sales.unit.support import NOW


class FakeLeads:
    def __init__(self, store: FakeStore, uow: FakeUnitOfWork) -> None:
        self.store, self.uow = store, uow

    def get(self, lead_id: UUID) -> Lead | None:
        return self.uow.loaded(self.store.leads.get(lead_id))

    def captured(self, capture_id: UUID) -> Lead | None:
        lead_id = self.store.captures.get(capture_id)
        return None if lead_id is None else self.get(lead_id)

    def open_duplicate(
        self, email_key: str, phone_key: str, besides: UUID | None = None
    ) -> Lead | None:
        for lead in sorted(self.store.leads.values(), key=lambda lead: lead.created_at):
            if (
                lead.id != besides
                and lead.status in OPEN
                and (
                    (email_key and lead.email_key == email_key)
                    or (phone_key and lead.phone_key == phone_key)
                )
            ):
                return self.get(lead.id)
        return None

    def of_customer(self, customer_id: UUID) -> list[Lead]:
        return [
            self.uow.loaded(lead)
            for lead in self.store.leads.values()
            if lead.customer_id == customer_id
        ]

    def add(self, lead: Lead, capture_id: UUID | None = None) -> None:
        self.uow.pending[lead.id] = lead
        self.uow.versions[lead.id] = lead.version
        if capture_id is not None:
            self.uow.captures[capture_id] = lead.id
        self.uow.seen.append(lead)

    def save(self, lead: Lead) -> None:
        stored = self.store.leads.get(lead.id)
        if stored is not None and stored.version != self.uow.versions[lead.id]:
            raise Conflict("stale")
        self.uow.pending[lead.id] = lead

    def list(self, filters: LeadFilters, after: Cursor | None, limit: int) -> list[Lead]:
        rows = [
            lead
            for lead in self.store.leads.values()
            if filters.scope.admits(owner_id=lead.owner_id)
            and (filters.status is None or lead.status is filters.status)
            and (filters.owner_id is None or lead.owner_id == filters.owner_id)
            and (filters.team_id is None or lead.team_id == filters.team_id)
            and (filters.source is None or lead.source is filters.source)
        ]
        rows.sort(key=lambda lead: (lead.created_at, lead.id), reverse=True)
        if after is not None:
            rows = [lead for lead in rows if (lead.created_at, lead.id) < after]
        return [self.uow.loaded(lead) for lead in rows[:limit]]

    def activity_counts(self, lead_id: UUID) -> dict[str, int]:
        return dict(self.store.activities.get(lead_id, {}))


class FakeTeams:
    def __init__(self, store: FakeStore) -> None:
        self.store = store

    def colleagues_of(self, subject: str) -> frozenset[str]:
        return frozenset(
            user
            for team in self.store.teams.values()
            if subject in team.members
            for user in team.members
        )

    def pipeline_stages(self, team_id: UUID | None) -> PipelineStages:
        team = None if team_id is None else self.get(team_id)
        return PipelineStages.DEFAULT if team is None else team.pipeline_stages()

    def get(self, team_id: UUID) -> Team | None:
        team = self.store.teams.get(team_id)
        return None if team is None else self._loaded(team)

    def all(self) -> list[Team]:
        return [self._loaded(team) for team in self.store.teams.values()]

    def _loaded(self, team: Team) -> Team:
        """A copy, its members' accounts as identity last said (the database's join)."""
        loaded = copy.deepcopy(team)
        loaded.members = {
            user: dataclasses.replace(member, account_disabled=user in self.store.disabled)
            for user, member in loaded.members.items()
        }
        return loaded

    def list(self, after: Cursor | None, limit: int) -> list[Team]:
        rows = sorted(self.store.teams.values(), key=lambda team: (team.created_at, team.id))
        if after is not None:
            rows = [team for team in rows if (team.created_at, team.id) > after]
        return [copy.deepcopy(team) for team in rows[:limit]]

    def add(self, team: Team) -> None:
        if any(other.name == team.name for other in self.store.teams.values()):
            raise AlreadyExists("same name", existing_id="")
        self.store.teams[team.id] = copy.deepcopy(team)

    def save(self, team: Team) -> None:
        self.store.teams[team.id] = copy.deepcopy(team)


class FakeAssignments:
    def __init__(self, store: FakeStore) -> None:
        self.store = store

    def counts(self, team_ids: Iterable[UUID], month: str) -> dict[UUID, Counter[str]]:
        counts: dict[UUID, Counter[str]] = {team_id: Counter() for team_id in team_ids}
        for team_id, owner_id, in_month in self.store.assignments:
            if team_id in counts and in_month == month:
                counts[team_id][owner_id] += 1
        return counts

    def lock_cursor(self, team_id: UUID) -> str | None:
        return self.store.cursors.get(team_id)

    def record(
        self,
        *,
        lead_id: UUID,
        team_id: UUID,
        owner_id: str,
        reason: AssignmentReason,
        now: datetime,
        advance_cursor: bool,
    ) -> None:
        self.store.assignments.append((team_id, owner_id, month_of(now)))
        if advance_cursor:
            self.store.cursors[team_id] = owner_id


class FakeWinModels:
    def __init__(self, store: FakeStore) -> None:
        self.store = store

    def get(self, team_id: UUID | None) -> WinModel:
        return copy.deepcopy(
            self.store.models.get(team_id) or self.store.models.get(None) or WinModel()
        )

    def learn(self, team_id: UUID | None, features: Features, won: bool) -> None:
        for scope in {team_id, None}:
            self.store.models.setdefault(scope, WinModel()).learn(features, won)


class FakeOpportunities:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow

    def add(self, opportunity: Opportunity) -> None:
        self.uow.opportunities_added.append(opportunity)


class FakeStaffAccounts:
    def __init__(self, store: FakeStore) -> None:
        self.store = store

    def record(self, user_id: str, *, disabled: bool, version: int) -> None:
        if disabled:
            self.store.disabled.add(user_id)
        else:
            self.store.disabled.discard(user_id)

    def is_disabled(self, user_id: str) -> bool:
        return user_id in self.store.disabled


class FakeStore:
    """What the fake database holds; a unit of work changes it on commit only (leads)."""

    def __init__(self) -> None:
        self.leads: dict[UUID, Lead] = {}
        self.captures: dict[UUID, UUID] = {}
        self.teams: dict[UUID, Team] = {}
        self.assignments: list[tuple[UUID, str, str]] = []
        self.cursors: dict[UUID, str] = {}
        self.models: dict[UUID | None, WinModel] = {}
        self.activities: dict[UUID, dict[str, int]] = {}
        self.opportunities: list[Opportunity] = []
        self.events: list[object] = []
        self.disabled: set[str] = set()  # accounts identity disabled


class FakeUnitOfWork:
    def __init__(self, store: FakeStore) -> None:
        self.store = store

    def __enter__(self) -> Self:
        self.pending: dict[UUID, Lead] = {}
        self.captures: dict[UUID, UUID] = {}
        self.versions: dict[UUID, int] = {}
        self.seen: list[Lead] = []
        self.opportunities_added: list[Opportunity] = []
        self.leads = FakeLeads(self.store, self)
        self.teams = FakeTeams(self.store)
        self.assignments = FakeAssignments(self.store)
        self.staff_accounts = FakeStaffAccounts(self.store)
        self.win_models = FakeWinModels(self.store)
        self.opportunities = FakeOpportunities(self)
        return self

    def __exit__(self, *exc: Any) -> None:
        pass

    def savepoint(self) -> contextlib.nullcontext[None]:
        return contextlib.nullcontext()

    def loaded(self, lead: Lead | None) -> Lead | None:
        if lead is None:
            return None
        mine = copy.deepcopy(lead)
        self.versions[mine.id] = mine.version
        self.seen.append(mine)
        return mine

    def commit(self) -> None:
        for lead in self.seen:
            self.store.events.extend(lead.pull_events())
        self.store.leads.update(
            {lead_id: copy.deepcopy(lead) for lead_id, lead in self.pending.items()}
        )
        self.store.captures.update(self.captures)
        self.store.opportunities.extend(self.opportunities_added)
        self.pending, self.captures, self.opportunities_added = {}, {}, []

    def rollback(self) -> None:
        self.pending = {}


class FakeCustomers:
    """The customer service: a contact's customer by email, a blacklist, or down."""

    def __init__(self) -> None:
        self.by_email: dict[str, UUID] = {}
        self.blacklisted: set[str] = set()
        self.down = False
        self.created: list[UUID] = []

    def customer_for(self, contact: Contact, source: LeadSource) -> ConvertedCustomer:
        if self.down:
            raise CustomersUnavailable("down")
        if contact.email in self.blacklisted:
            raise FailedPrecondition("blacklisted")
        if contact.email in self.by_email:
            return ConvertedCustomer(self.by_email[contact.email], False)
        customer_id = uuid4()
        self.by_email[contact.email] = customer_id
        self.created.append(customer_id)
        return ConvertedCustomer(customer_id, True)


class Clock:
    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def handlers(
    store: FakeStore | None = None, seed: int = 7
) -> tuple[LeadHandlers, TeamHandlers, FakeStore, FakeCustomers, Clock]:
    store = store or FakeStore()
    customers = FakeCustomers()
    clock = Clock()
    leads = LeadHandlers(
        lambda: FakeUnitOfWork(store), customers, clock=clock, rng=random.Random(seed)
    )
    teams = TeamHandlers(lambda: FakeUnitOfWork(store), clock=clock)
    return leads, teams, store, customers, clock
