"""The lead use cases: capture (merged into an open duplicate, else assigned by the teams'
rules), reading by visibility, the changes, and conversion into a customer and an opportunity.

Every change rescores the lead: rule points from the team's table (the defaults otherwise) and
the activities done about it, the win probability from the team's model.
"""

from __future__ import annotations

import builtins
import random
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Protocol
from uuid import UUID

from crm_platform import paging
from crm_platform.errors import Conflict, FailedPrecondition, NotFound, Unavailable
from crm_platform.paging import Cursor, Page
from crm_platform.ports import Transaction

from crm_sales.domain.assignment import (
    AssignmentReason,
    RandomSource,
    TeamLoad,
    choose_team,
    matching,
    month_of,
    next_rep,
)
from crm_sales.domain.leads import Contact, Lead, LeadStatus, OpenLeadExists
from crm_sales.domain.opportunities import Opportunity, PipelineStages
from crm_sales.domain.scoring import Features, WinModel, rule_score
from crm_sales.domain.teams import LeadSource, Team
from crm_sales.domain.values import Actor, Money
from crm_sales.service_layer.visibility import Scope, scope_of

LeadStep = Callable[[Lead, Actor, datetime], None]


@dataclass(frozen=True)
class LeadFilters:
    scope: Scope
    status: LeadStatus | None = None
    owner_id: str | None = None
    team_id: UUID | None = None
    source: LeadSource | None = None


class LeadRepository(Protocol):
    def get(self, lead_id: UUID) -> Lead | None: ...

    def captured(self, capture_id: UUID) -> Lead | None: ...

    def open_duplicate(
        self, email_key: str, phone_key: str, besides: UUID | None = None
    ) -> Lead | None: ...

    def of_customer(self, customer_id: UUID) -> list[Lead]: ...

    def add(self, lead: Lead, capture_id: UUID | None = None) -> None: ...

    def save(self, lead: Lead) -> None: ...

    def list(self, filters: LeadFilters, after: Cursor | None, limit: int) -> list[Lead]: ...

    def activity_counts(self, lead_id: UUID) -> dict[str, int]: ...


class TeamRepository(Protocol):
    def colleagues_of(self, subject: str) -> frozenset[str]: ...

    def pipeline_stages(self, team_id: UUID | None) -> PipelineStages: ...

    def get(self, team_id: UUID) -> Team | None: ...

    def all(self) -> builtins.list[Team]: ...

    def list(self, after: Cursor | None, limit: int) -> builtins.list[Team]: ...

    def add(self, team: Team) -> None: ...

    def save(self, team: Team) -> None: ...


class Assignments(Protocol):
    def counts(self, team_ids: Iterable[UUID], month: str) -> dict[UUID, Counter[str]]: ...

    def lock_cursor(self, team_id: UUID) -> str | None: ...

    def record(
        self,
        *,
        lead_id: UUID,
        team_id: UUID,
        owner_id: str,
        reason: AssignmentReason,
        now: datetime,
        advance_cursor: bool,
    ) -> None: ...


class StaffAccounts(Protocol):
    """Identity's accounts, from its AccountChanged events."""

    def record(self, user_id: str, *, disabled: bool, version: int) -> None: ...

    def is_disabled(self, user_id: str) -> bool: ...


class WinModels(Protocol):
    def get(self, team_id: UUID | None) -> WinModel: ...

    def learn(self, team_id: UUID | None, features: Features, won: bool) -> None: ...


class OpportunityRepository(Protocol):
    def add(self, opportunity: Opportunity) -> None: ...


class LeadUnitOfWork(Transaction, Protocol):
    @property
    def leads(self) -> LeadRepository: ...

    @property
    def teams(self) -> TeamRepository: ...

    @property
    def assignments(self) -> Assignments: ...

    @property
    def staff_accounts(self) -> StaffAccounts: ...

    @property
    def win_models(self) -> WinModels: ...

    @property
    def opportunities(self) -> OpportunityRepository: ...


@dataclass(frozen=True)
class ConvertedCustomer:
    id: UUID
    created: bool  # False: an existing customer was linked


class CustomersUnavailable(Unavailable):
    """The customer service did not answer in time: nothing was converted."""


class CustomerRegistry(Protocol):
    """The customer service, asked with the caller's token: the customer a lead's contact is
    (found or created); FailedPrecondition when blacklisted, CustomersUnavailable when down."""

    def customer_for(self, contact: Contact, source: LeadSource) -> ConvertedCustomer: ...


@dataclass(frozen=True)
class Conversion:
    lead: Lead
    customer: ConvertedCustomer
    opportunity_id: UUID


class LeadHandlers:
    def __init__(
        self,
        uow_factory: Callable[[], LeadUnitOfWork],
        customers: CustomerRegistry | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        rng: RandomSource | None = None,
    ) -> None:
        self.uow_factory = uow_factory
        self.customers = customers
        self.clock = clock
        self.rng = rng or random.SystemRandom()

    def create(
        self,
        actor: Actor,
        *,
        source: LeadSource,
        campaign_id: str,
        contact: Contact,
        notes: str,
        tags: Iterable[str],
        owner_id: str | None,
    ) -> Lead:
        """The new lead, or the open lead with its email or phone that it was merged into."""
        with self.uow_factory() as uow:
            lead = self.create_in(
                uow,
                actor,
                source=source,
                campaign_id=campaign_id,
                contact=contact,
                notes=notes,
                tags=tags,
                owner_id=owner_id,
            )
            uow.commit()
        return lead

    def create_in(
        self,
        uow: LeadUnitOfWork,
        actor: Actor,
        *,
        source: LeadSource,
        campaign_id: str,
        contact: Contact,
        notes: str,
        tags: Iterable[str],
        owner_id: str | None,
        capture_id: UUID | None = None,
    ) -> Lead:
        """`create` in a unit of work the caller commits (the consumer's, with its inbox row).
        `capture_id`: the capturing service's id; the lead it made answers it again."""
        now = self.clock()
        lead = Lead.create(
            id=uuid.uuid4(),
            source=source,
            campaign_id=campaign_id,
            contact=contact,
            notes=notes,
            tags=tags,
            actor=actor,
            now=now,
        )
        if capture_id is not None:
            earlier = uow.leads.captured(capture_id)
            if earlier is not None:
                return earlier
        duplicate = uow.leads.open_duplicate(lead.email_key, lead.phone_key)
        if duplicate is None:
            try:
                # A capture of the same person committed meanwhile wins the unique index: its
                # assignment stands, this one's is undone, and this capture merges into it.
                with uow.savepoint():
                    self._open(uow, lead, actor, now, owner_id, capture_id)
                return lead
            except OpenLeadExists:
                duplicate = uow.leads.open_duplicate(lead.email_key, lead.phone_key)
                if duplicate is None:
                    raise
        duplicate.absorb(lead, actor, now, captured=True)
        self._rescore(uow, duplicate)
        uow.leads.save(duplicate)
        return duplicate

    def _open(
        self,
        uow: LeadUnitOfWork,
        lead: Lead,
        actor: Actor,
        now: datetime,
        owner_id: str | None,
        capture_id: UUID | None,
    ) -> None:
        if owner_id:
            lead.assign(actor, now, owner_id=owner_id, team_id=None, reason=AssignmentReason.MANUAL)
        else:
            self._assign_by_rules(uow, lead, actor, now)
        self._rescore(uow, lead)
        uow.leads.add(lead, capture_id)

    def get(self, actor: Actor, lead_id: UUID) -> Lead:
        with self.uow_factory() as uow:
            return _visible(uow, actor, lead_id)

    def list(
        self,
        actor: Actor,
        *,
        status: LeadStatus | None,
        owner_id: str | None,
        team_id: UUID | None,
        source: LeadSource | None,
        page_size: int,
        page_token: str,
    ) -> Page[Lead]:
        limit = paging.page_size(page_size)
        after = paging.decode_cursor(page_token)
        with self.uow_factory() as uow:
            scope = scope_of(actor, uow.teams)
            if scope.is_empty:
                return Page([], "")
            filters = LeadFilters(scope, status, owner_id, team_id, source)
            rows = uow.leads.list(filters, after, limit + 1)
        return paging.page_of(rows, limit, lambda lead: (lead.created_at, lead.id))

    def change(self, actor: Actor, lead_id: UUID, expected_version: int, step: LeadStep) -> Lead:
        with self.uow_factory() as uow:
            lead = _visible(uow, actor, lead_id, expected_version)
            keys = (lead.email_key, lead.phone_key)
            step(lead, actor, self.clock())
            if lead.is_open and keys != (lead.email_key, lead.phone_key):
                other = uow.leads.open_duplicate(lead.email_key, lead.phone_key, besides=lead.id)
                if other is not None:
                    raise OpenLeadExists(
                        f"lead {other.id} is open with this email or phone: merge the two",
                        existing_id=str(other.id),
                    )
            self._rescore(uow, lead)
            uow.leads.save(lead)
            uow.commit()
        return lead

    def assign(
        self,
        actor: Actor,
        lead_id: UUID,
        expected_version: int,
        *,
        owner_id: str,
        team_id: UUID | None,
    ) -> Lead:
        """By hand; counted against the rep's quota in the team when the lead has one."""
        now = self.clock()
        with self.uow_factory() as uow:
            lead = _visible(uow, actor, lead_id, expected_version)
            if team_id is not None and uow.teams.get(team_id) is None:
                raise NotFound(f"no team {team_id}")
            if owner_id and uow.staff_accounts.is_disabled(owner_id):
                raise FailedPrecondition(f"the account {owner_id} is disabled: it takes no leads")
            team = team_id or lead.team_id
            lead.assign(actor, now, owner_id=owner_id, team_id=team, reason=AssignmentReason.MANUAL)
            if team is not None and lead.owner_id is not None:
                uow.assignments.record(
                    lead_id=lead.id,
                    team_id=team,
                    owner_id=lead.owner_id,
                    reason=AssignmentReason.MANUAL,
                    now=now,
                    advance_cursor=False,
                )
            self._rescore(uow, lead)
            uow.leads.save(lead)
            uow.commit()
        return lead

    def merge(self, actor: Actor, survivor_id: UUID, duplicate_id: UUID) -> Lead:
        now = self.clock()
        with self.uow_factory() as uow:
            survivor = _visible(uow, actor, survivor_id)
            duplicate = _visible(uow, actor, duplicate_id)
            survivor.absorb(duplicate, actor, now)
            self._rescore(uow, survivor)
            uow.leads.save(duplicate)
            uow.leads.save(survivor)
            uow.commit()
        return survivor

    def convert(
        self,
        actor: Actor,
        lead_id: UUID,
        expected_version: int,
        *,
        title: str,
        amount: Money | None,
        expected_close: date | None,
    ) -> Conversion:
        """The customer first (outside the transaction: a remote call), then the lead and its
        opportunity together; a lead changed meanwhile is ABORTED, nothing converted."""
        with self.uow_factory() as uow:
            lead = _visible(uow, actor, lead_id, expected_version)
            lead.check_convertible(actor)
        if self.customers is None:
            raise CustomersUnavailable("no customer service to convert leads with")
        customer = self.customers.customer_for(lead.contact, lead.source)
        now = self.clock()
        with self.uow_factory() as uow:
            lead = _visible(uow, actor, lead_id, lead.version)
            contact = lead.contact
            opportunity = Opportunity.open(
                id=uuid.uuid4(),
                title=title.strip() or contact.company or contact.name or "Lead",
                customer_id=customer.id,
                owner_id=lead.owner_id,
                team_id=lead.team_id,
                partner_id=None,
                lead_id=lead.id,
                amount=amount,
                expected_close=expected_close,
                source=lead.source.value,
                region=contact.region,
                tags=lead.tags,
                email=contact.email,
                phone=contact.phone,
                actor=actor,
                now=now,
                stages=uow.teams.pipeline_stages(lead.team_id),
            )
            lead.convert(actor, now, customer.id, opportunity.id)
            uow.opportunities.add(opportunity)
            uow.leads.save(lead)
            uow.commit()
        return Conversion(lead, customer, opportunity.id)

    def _assign_by_rules(
        self, uow: LeadUnitOfWork, lead: Lead, actor: Actor, now: datetime
    ) -> None:
        teams = uow.teams.all()
        counts = uow.assignments.counts([team.id for team in teams], month_of(now))
        loads = [TeamLoad(team, counts[team.id]) for team in teams]
        contact = lead.contact
        chosen = choose_team(
            matching(loads, contact.region, lead.source, contact.company_size), self.rng
        )
        if chosen is None:
            return  # no team's rule takes it: unassigned, for a manager to route
        team_id = chosen.team.id
        cursor = uow.assignments.lock_cursor(team_id)
        # counted again under the team's lock: a concurrent assignment may have used the quota
        fresh = TeamLoad(chosen.team, uow.assignments.counts([team_id], month_of(now))[team_id])
        rep = next_rep(fresh, cursor)
        if rep is None:
            lead.assign(actor, now, owner_id=None, team_id=team_id, reason=AssignmentReason.RULE)
            return
        lead.assign(actor, now, owner_id=rep, team_id=team_id, reason=AssignmentReason.ROUND_ROBIN)
        uow.assignments.record(
            lead_id=lead.id,
            team_id=team_id,
            owner_id=rep,
            reason=AssignmentReason.ROUND_ROBIN,
            now=now,
            advance_cursor=True,
        )

    def _rescore(self, uow: LeadUnitOfWork, lead: Lead) -> None:
        team = None if lead.team_id is None else uow.teams.get(lead.team_id)
        points = {} if team is None else team.score_points
        rule = rule_score(lead.facts(), points, uow.leads.activity_counts(lead.id))
        lead.rescore(rule, uow.win_models.get(lead.team_id).predict(lead.features()))


def _visible(uow: LeadUnitOfWork, actor: Actor, lead_id: UUID, expected_version: int = 0) -> Lead:
    lead = uow.leads.get(lead_id)
    if lead is None or not scope_of(actor, uow.teams).admits(
        owner_id=lead.owner_id, customer_id=None
    ):
        raise NotFound(f"no lead {lead_id}")
    if expected_version and expected_version != lead.version:
        raise Conflict(f"lead {lead_id} is at version {lead.version}, not {expected_version}")
    return lead
