"""The opportunity use cases: open a deal, work it through the pipeline, win, lose or restore
it; the pipeline board and the weighted pipeline.

Who sees which deal is the service's one rule (service_layer/visibility.py): a deal the caller
may not see is NOT_FOUND, and lists and sums hold only the visible ones. The stages'
probabilities are the deal's team's. Winning or losing a deal teaches its team's win model, in
the same transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Protocol
from uuid import UUID

from crm_platform import paging
from crm_platform.errors import (
    Conflict,
    FailedPrecondition,
    FieldViolation,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from crm_platform.paging import Cursor, Page

from crm_sales.domain.opportunities import (
    OPEN_STAGES,
    Competitor,
    Contact,
    Opportunity,
    OpportunityStage,
    OpportunityStatus,
    PipelineStages,
)
from crm_sales.domain.scoring import Features
from crm_sales.domain.values import CENT, Actor, Money
from crm_sales.service_layer.ports import (
    Customers,
    CustomerStanding,
    TeamDirectory,
    UnitOfWork,
)
from crm_sales.service_layer.visibility import Scope, scope_of, sees_everything

BOARD_CARDS_DEFAULT = 20
BOARD_CARDS_MAX = 100
_CENTS = Decimal(100)  # per unit of a currency
_WEIGHT = _CENTS * 100  # a sum of cents times percents, in units


@dataclass(frozen=True)
class PipelineFilters:
    scope: Scope
    team_id: UUID | None = None
    owner_id: str | None = None
    close_from: date | None = None  # expected to close on or after
    close_to: date | None = None  # on or before


@dataclass(frozen=True)
class OpportunityFilters:
    pipeline: PipelineFilters
    stage: OpportunityStage | None = None
    status: OpportunityStatus | None = None
    customer_id: UUID | None = None


@dataclass(frozen=True)
class StageSum:
    """The deals of one stage, currency (None: no amount yet) and probability."""

    stage: OpportunityStage
    currency: str | None
    probability: Decimal
    count: int
    cents: int


@dataclass(frozen=True)
class BoardCard:
    id: UUID
    title: str
    stage: OpportunityStage
    owner_id: str | None
    amount: Money | None
    probability: Decimal
    expected_close: date | None


@dataclass(frozen=True)
class Total:
    """A sum of one currency: a Decimal, since a sum may exceed what one Money holds."""

    currency: str
    amount: Decimal


@dataclass(frozen=True)
class BoardColumn:
    stage: OpportunityStage
    count: int
    totals: list[Total]  # by currency, deals without an amount left out
    cards: list[BoardCard]


@dataclass(frozen=True)
class WeightedStage:
    stage: OpportunityStage
    count: int
    weighted: list[Total]  # amount x probability, by currency


@dataclass(frozen=True)
class WeightedPipeline:
    stages: list[WeightedStage]
    totals: list[Total]  # of the exact stage sums, rounded once


class OpportunityRepository(Protocol):
    def get(self, opportunity_id: UUID) -> Opportunity | None: ...

    def of_customer(self, customer_id: UUID) -> list[Opportunity]: ...

    def add(self, opportunity: Opportunity) -> None: ...

    def save(self, opportunity: Opportunity) -> None: ...

    def stage_sums(self, filters: PipelineFilters, *, open_only: bool) -> list[StageSum]: ...

    def cards(self, filters: PipelineFilters, per_stage: int) -> list[BoardCard]: ...

    def list(
        self, filters: OpportunityFilters, after: Cursor | None, limit: int
    ) -> list[Opportunity]:
        """Visible to the filters' scope, newest first, after the cursor (created_at, id)."""
        ...


class PipelineTeams(TeamDirectory, Protocol):
    def pipeline_stages(self, team_id: UUID | None) -> PipelineStages: ...


class WinModels(Protocol):
    def learn(self, team_id: UUID | None, features: Features, won: bool) -> None: ...


class OpportunityUnitOfWork(UnitOfWork, Protocol):
    @property
    def opportunities(self) -> OpportunityRepository: ...

    @property
    def teams(self) -> PipelineTeams: ...

    @property
    def win_models(self) -> WinModels: ...


Change = Callable[[Opportunity, Actor, datetime, PipelineStages], None]


@dataclass(frozen=True)
class Details:
    """What UpdateOpportunity may change; None leaves a field as it is."""

    title: str | None = None
    amount: Money | None = None
    expected_close: date | None = None
    contacts: Sequence[Contact] | None = None
    competitors: Sequence[Competitor] | None = None
    probability: Decimal | None = None


class OpportunityHandlers:
    def __init__(
        self,
        uow_factory: Callable[[], OpportunityUnitOfWork],
        customers: Customers,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.uow_factory = uow_factory
        self.customers = customers
        self.clock = clock

    def create(
        self,
        actor: Actor,
        *,
        customer_id: UUID,
        title: str,
        owner_id: str | None,
        team_id: UUID | None,
        amount: Money | None,
        expected_close: date | None,
        source: str,
        region: str,
        tags: frozenset[str],
        contacts: Sequence[Contact],
        competitors: Sequence[Competitor],
    ) -> Opportunity:
        _may_open_for(self.customers.standing(customer_id), customer_id)
        with self.uow_factory() as uow:
            scope = scope_of(actor, uow.teams)
            if owner_id is None and not sees_everything(actor):
                owner_id = actor.subject  # a rep's deal is theirs
            if owner_id and not scope.admits(owner_id=owner_id):
                raise PermissionDenied(f"{actor.subject!r} may not open deals for {owner_id!r}")
            primary = contacts[0] if contacts else None
            opportunity = Opportunity.open(
                id=uuid.uuid4(),
                title=title,
                customer_id=customer_id,
                owner_id=owner_id,
                team_id=team_id,
                partner_id=None,
                lead_id=None,
                amount=amount,
                expected_close=expected_close,
                source=source,
                region=region,
                tags=tags,
                email=primary.email if primary else "",
                phone=primary.phone if primary else "",
                actor=actor,
                now=self.clock(),
                stages=stages_of(uow, team_id),
                contacts=contacts,
                competitors=competitors,
            )
            uow.opportunities.add(opportunity)
            uow.commit()
        return opportunity

    def get(self, actor: Actor, opportunity_id: UUID) -> Opportunity:
        with self.uow_factory() as uow:
            return _visible(scope_of(actor, uow.teams), uow, opportunity_id)

    def update(
        self, actor: Actor, opportunity_id: UUID, expected_version: int, details: Details
    ) -> Opportunity:
        return self.change(
            actor,
            opportunity_id,
            expected_version,
            lambda opportunity, who, now, stages: opportunity.update(
                who,
                now,
                title=details.title,
                amount=details.amount,
                expected_close=details.expected_close,
                contacts=details.contacts,
                competitors=details.competitors,
                probability=details.probability,
            ),
        )

    def assign(
        self,
        actor: Actor,
        opportunity_id: UUID,
        expected_version: int,
        *,
        owner_id: str | None,
        partner_id: UUID | None,
    ) -> Opportunity:
        return self.change(
            actor,
            opportunity_id,
            expected_version,
            lambda opportunity, who, now, stages: opportunity.assign(
                who, now, owner_id=owner_id, partner_id=partner_id
            ),
        )

    def change(
        self, actor: Actor, opportunity_id: UUID, expected_version: int, change: Change
    ) -> Opportunity:
        """One change of the deal, if it is still at `expected_version` (0: whatever version
        it is at); a win or a loss teaches the team's win model in the same transaction."""
        with self.uow_factory() as uow:
            opportunity = _visible(scope_of(actor, uow.teams), uow, opportunity_id)
            if expected_version and expected_version != opportunity.version:
                raise Conflict(
                    f"opportunity {opportunity_id} is at version {opportunity.version},"
                    f" not {expected_version}"
                )
            status = opportunity.status
            change(opportunity, actor, self.clock(), stages_of(uow, opportunity.team_id))
            if status is OpportunityStatus.OPEN and opportunity.status is not status:
                learn(uow, opportunity)
            uow.opportunities.save(opportunity)
            uow.commit()
        return opportunity

    def board(
        self,
        actor: Actor,
        *,
        team_id: UUID | None,
        owner_id: str | None,
        cards_per_stage: int,
    ) -> list[BoardColumn]:
        """Every stage in pipeline order, with its visible deals' count, sums and first cards."""
        if cards_per_stage < 0 or cards_per_stage > BOARD_CARDS_MAX:
            raise ValidationFailed(
                FieldViolation("cards_per_stage", f"must be from 0 to {BOARD_CARDS_MAX}")
            )
        with self.uow_factory() as uow:
            filters = PipelineFilters(scope_of(actor, uow.teams), team_id, owner_id)
            sums = uow.opportunities.stage_sums(filters, open_only=False)
            cards = uow.opportunities.cards(filters, cards_per_stage or BOARD_CARDS_DEFAULT)
        return [
            BoardColumn(
                stage=stage,
                count=sum(s.count for s in sums if s.stage is stage),
                totals=_totals(
                    ((s.currency, Decimal(s.cents)) for s in sums if s.stage is stage), _CENTS
                ),
                cards=[card for card in cards if card.stage is stage],
            )
            for stage in OpportunityStage
        ]

    def weighted(
        self,
        actor: Actor,
        *,
        team_id: UUID | None,
        owner_id: str | None,
        close_from: date | None,
        close_to: date | None,
    ) -> WeightedPipeline:
        """The open deals' amounts times their probabilities, per open stage and in total."""
        if close_from and close_to and close_from > close_to:
            raise ValidationFailed(FieldViolation("close_to", "must not be before close_from"))
        with self.uow_factory() as uow:
            filters = PipelineFilters(
                scope_of(actor, uow.teams), team_id, owner_id, close_from, close_to
            )
            sums = uow.opportunities.stage_sums(filters, open_only=True)
        with localcontext() as context:
            context.prec = 60  # exact: cents times basis points never come near this many digits
            stages = [
                WeightedStage(
                    stage=stage,
                    count=sum(s.count for s in sums if s.stage is stage),
                    weighted=_totals(
                        ((s.currency, s.cents * s.probability) for s in sums if s.stage is stage),
                        _WEIGHT,
                    ),
                )
                for stage in OPEN_STAGES
            ]
            totals = _totals(((s.currency, s.cents * s.probability) for s in sums), _WEIGHT)
        return WeightedPipeline(stages, totals)

    def list(
        self,
        actor: Actor,
        *,
        stage: OpportunityStage | None,
        status: OpportunityStatus | None,
        owner_id: str | None,
        team_id: UUID | None,
        customer_id: UUID | None,
        page_size: int,
        page_token: str,
    ) -> Page[Opportunity]:
        limit = paging.page_size(page_size)
        after = paging.decode_cursor(page_token)
        with self.uow_factory() as uow:
            filters = OpportunityFilters(
                PipelineFilters(scope_of(actor, uow.teams), team_id=team_id, owner_id=owner_id),
                stage=stage,
                status=status,
                customer_id=customer_id,
            )
            rows = uow.opportunities.list(filters, after, limit + 1)
        return paging.page_of(rows, limit, lambda o: (o.created_at, o.id))


def stages_of(uow: OpportunityUnitOfWork, team_id: UUID | None) -> PipelineStages:
    """The probabilities of the team's pipeline (the default ones without a team)."""
    return uow.teams.pipeline_stages(team_id)


def learn(uow: OpportunityUnitOfWork, opportunity: Opportunity) -> None:
    """The team's win model learns the outcome of a deal just closed."""
    won = opportunity.status is OpportunityStatus.WON
    uow.win_models.learn(opportunity.team_id, opportunity.features(), won=won)


def _totals(values: Iterable[tuple[str | None, Decimal]], unit: Decimal) -> list[Total]:
    """The sum of each currency's values, divided by `unit` and only then rounded half up to
    the cent; amounts without a currency (deals not priced yet) are left out."""
    sums: dict[str, Decimal] = {}
    for currency, value in values:
        if currency is not None:
            sums[currency] = sums.get(currency, Decimal(0)) + value
    return [
        Total(currency, (value / unit).quantize(CENT, rounding=ROUND_HALF_UP))
        for currency, value in sorted(sums.items())
    ]


def _visible(scope: Scope, uow: OpportunityUnitOfWork, opportunity_id: UUID) -> Opportunity:
    opportunity = uow.opportunities.get(opportunity_id)
    if opportunity is None or not scope.admits(
        owner_id=opportunity.owner_id,
        customer_id=opportunity.customer_id,
        partner_id=opportunity.partner_id,
    ):
        raise NotFound(f"no opportunity {opportunity_id}")
    return opportunity


def _may_open_for(standing: CustomerStanding, customer_id: UUID) -> None:
    if standing is CustomerStanding.UNKNOWN:
        raise ValidationFailed(FieldViolation("customer_id", f"there is no customer {customer_id}"))
    if standing is CustomerStanding.MERGED:
        raise FailedPrecondition(
            f"customer {customer_id} was merged: open the deal for the survivor"
        )
    if standing is CustomerStanding.BLACKLISTED:
        raise FailedPrecondition("no deals with a blacklisted customer")
