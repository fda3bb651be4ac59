"""Opportunities over SQLAlchemy Core: the columns they are found and summed by, the rest as a
JSON document. A stale version is a Conflict (ABORTED).

The pipeline's queries group in SQL over integer cents and basis points, so that their sums
are exact on PostgreSQL and SQLite alike; the service turns them into money.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from crm_platform.errors import Conflict
from crm_platform.paging import Cursor
from sqlalchemy.orm import Session

from crm_sales.adapters.orm import opportunities
from crm_sales.adapters.visibility import visible
from crm_sales.domain.opportunities import (
    Competitor,
    Contact,
    ContactRole,
    Loss,
    LostReason,
    Opportunity,
    OpportunityStage,
    OpportunityStatus,
    ThreatLevel,
)
from crm_sales.domain.values import Money
from crm_sales.service_layer.opportunities import (
    BoardCard,
    OpportunityFilters,
    PipelineFilters,
    StageSum,
)

_BASIS_POINTS = Decimal(100)  # per percent
_table = opportunities


class SqlOpportunityRepository:
    def __init__(self, session: Session, track: Callable[[Opportunity], None]) -> None:
        self.session = session
        self._track = track  # the unit of work's: it collects the events of what is read here
        self._loaded: dict[UUID, int] = {}

    def get(self, opportunity_id: UUID) -> Opportunity | None:
        row = self.session.execute(sa.select(_table).where(_table.c.id == opportunity_id)).first()
        return None if row is None else self._loaded_opportunity(row)

    def of_customer(self, customer_id: UUID) -> list[Opportunity]:
        rows = self.session.execute(sa.select(_table).where(_table.c.customer_id == customer_id))
        return [self._loaded_opportunity(row) for row in rows]

    def add(self, opportunity: Opportunity) -> None:
        self.session.execute(sa.insert(_table).values(_values(opportunity)))
        self._loaded[opportunity.id] = opportunity.version
        self._track(opportunity)

    def save(self, opportunity: Opportunity) -> None:
        read = self._loaded[opportunity.id]
        if opportunity.version == read:
            return
        result: sa.CursorResult[Any] = self.session.execute(  # type: ignore[assignment]
            sa.update(_table)
            .where(_table.c.id == opportunity.id)
            .where(_table.c.version == read)
            .values(_values(opportunity))
        )
        if result.rowcount != 1:
            raise Conflict(f"opportunity {opportunity.id} was changed concurrently; read it again")
        self._loaded[opportunity.id] = opportunity.version

    def stage_sums(self, filters: PipelineFilters, *, open_only: bool) -> list[StageSum]:
        """Per stage, currency and probability: how many deals and their amounts' sum."""
        statement = (
            sa.select(
                _table.c.stage,
                _table.c.currency,
                _table.c.probability_bp,
                sa.func.count(),
                sa.func.sum(_table.c.amount_cents),
            )
            .where(*_conditions(filters))
            .group_by(_table.c.stage, _table.c.currency, _table.c.probability_bp)
        )
        if open_only:
            statement = statement.where(_table.c.status == OpportunityStatus.OPEN.value)
        return [
            StageSum(
                stage=OpportunityStage(stage),
                currency=currency,
                probability=Decimal(basis_points) / _BASIS_POINTS,
                count=count,
                cents=int(cents or 0),
            )
            for stage, currency, basis_points, count, cents in self.session.execute(statement)
        ]

    def cards(self, filters: PipelineFilters, per_stage: int) -> list[BoardCard]:
        """The first `per_stage` deals of each stage, the soonest to close first (those without
        a date last), then the oldest."""
        position = (
            sa.func.row_number()
            .over(
                partition_by=_table.c.stage,
                order_by=(
                    _table.c.expected_close.is_(None),
                    _table.c.expected_close,
                    _table.c.created_at,
                    _table.c.id,
                ),
            )
            .label("position")
        )
        ranked = (
            sa.select(
                _table.c.id,
                _table.c.title,
                _table.c.stage,
                _table.c.owner_id,
                _table.c.amount_cents,
                _table.c.currency,
                _table.c.probability_bp,
                _table.c.expected_close,
                position,
            )
            .where(*_conditions(filters))
            .subquery()
        )
        statement = (
            sa.select(ranked)
            .where(ranked.c.position <= per_stage)
            .order_by(ranked.c.stage, ranked.c.position)
        )
        return [
            BoardCard(
                id=row.id,
                title=row.title,
                stage=OpportunityStage(row.stage),
                owner_id=row.owner_id,
                amount=_money_of(row.amount_cents, row.currency),
                probability=Decimal(row.probability_bp) / _BASIS_POINTS,
                expected_close=row.expected_close,
            )
            for row in self.session.execute(statement)
        ]

    def list(
        self, filters: OpportunityFilters, after: Cursor | None, limit: int
    ) -> list[Opportunity]:
        statement = sa.select(_table).where(*_conditions(filters.pipeline))
        if filters.stage is not None:
            statement = statement.where(_table.c.stage == filters.stage.value)
        if filters.status is not None:
            statement = statement.where(_table.c.status == filters.status.value)
        if filters.customer_id is not None:
            statement = statement.where(_table.c.customer_id == filters.customer_id)
        if after is not None:
            created_at, opportunity_id = after
            statement = statement.where(
                sa.tuple_(_table.c.created_at, _table.c.id)
                < sa.tuple_(
                    sa.literal(created_at, _table.c.created_at.type),
                    sa.literal(opportunity_id, _table.c.id.type),
                )
            )
        statement = statement.order_by(_table.c.created_at.desc(), _table.c.id.desc()).limit(limit)
        return [self._loaded_opportunity(row) for row in self.session.execute(statement)]

    def _loaded_opportunity(self, row: Any) -> Opportunity:
        opportunity = _from_row(row)
        self._loaded[opportunity.id] = opportunity.version
        self._track(opportunity)
        return opportunity


def _conditions(filters: PipelineFilters) -> list[sa.ColumnElement[bool]]:
    conditions = [visible(filters.scope, _table)]
    if filters.team_id is not None:
        conditions.append(_table.c.team_id == filters.team_id)
    if filters.owner_id is not None:
        conditions.append(_table.c.owner_id == filters.owner_id)
    if filters.close_from is not None:
        conditions.append(_table.c.expected_close >= filters.close_from)
    if filters.close_to is not None:
        conditions.append(_table.c.expected_close <= filters.close_to)
    return conditions


def _money_of(cents: int | None, currency: str | None) -> Money | None:
    if cents is None or currency is None:
        return None
    return Money(Decimal(cents).scaleb(-2), currency)


def _values(opportunity: Opportunity) -> dict[str, Any]:
    amount = opportunity.amount
    return {
        "id": opportunity.id,
        "title": opportunity.title,
        "owner_id": opportunity.owner_id,
        "team_id": opportunity.team_id,
        "partner_id": opportunity.partner_id,
        "customer_id": opportunity.customer_id,
        "lead_id": opportunity.lead_id,
        "stage": opportunity.stage.value,
        "status": opportunity.status.value,
        "amount": None if amount is None else amount.amount,
        "currency": None if amount is None else amount.currency,
        "amount_cents": None if amount is None else int(amount.amount.scaleb(2)),
        "probability_bp": int(opportunity.probability * _BASIS_POINTS),
        "expected_close": opportunity.expected_close,
        "document": _document(opportunity),
        "version": opportunity.version,
        "created_at": opportunity.created_at,
        "updated_at": opportunity.updated_at,
        "closed_at": opportunity.closed_at,
    }


def _document(opportunity: Opportunity) -> dict[str, Any]:
    loss = opportunity.loss
    return {
        "probability_overridden": opportunity.probability_overridden,
        "source": opportunity.source,
        "region": opportunity.region,
        "tags": sorted(opportunity.tags),
        "email": opportunity.email,
        "phone": opportunity.phone,
        "contacts": [
            {"name": c.name, "email": c.email, "phone": c.phone, "role": c.role.value}
            for c in opportunity.contacts
        ],
        "competitors": [
            {"name": c.name, "notes": c.notes, "threat": c.threat.value}
            for c in opportunity.competitors
        ],
        "loss": None
        if loss is None
        else {
            "reason": loss.reason.value,
            "note": loss.note,
            "competitor": loss.competitor,
        },
        "closed_from": None if opportunity.closed_from is None else opportunity.closed_from.value,
    }


def _from_row(row: Any) -> Opportunity:
    document = row.document
    loss = document["loss"]
    expected_close: date | None = row.expected_close
    return Opportunity(
        id=row.id,
        title=row.title,
        customer_id=row.customer_id,
        owner_id=row.owner_id,
        team_id=row.team_id,
        partner_id=row.partner_id,
        lead_id=row.lead_id,
        stage=OpportunityStage(row.stage),
        status=OpportunityStatus(row.status),
        amount=_money_of(row.amount_cents, row.currency),
        expected_close=expected_close,
        probability=(Decimal(row.probability_bp) / _BASIS_POINTS).quantize(Decimal("0.01")),
        probability_overridden=document["probability_overridden"],
        source=document["source"],
        region=document["region"],
        tags=frozenset(document["tags"]),
        email=document["email"],
        phone=document["phone"],
        contacts=[
            Contact(c["name"], c["email"], c["phone"], ContactRole(c["role"]))
            for c in document["contacts"]
        ],
        competitors=[
            Competitor(c["name"], c["notes"], ThreatLevel(c["threat"]))
            for c in document["competitors"]
        ],
        loss=None
        if loss is None
        else Loss(
            LostReason(loss["reason"]),
            loss["note"],
            loss["competitor"],
        ),
        closed_from=None
        if document["closed_from"] is None
        else OpportunityStage(document["closed_from"]),
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
        closed_at=row.closed_at,
    )
