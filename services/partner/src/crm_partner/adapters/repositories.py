"""Repositories over SQLAlchemy Core: rows in, aggregates out, and back. A stale version is a
Conflict (ABORTED): the record moved on since this transaction read it."""

from __future__ import annotations

import builtins
from collections.abc import Callable
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar
from uuid import UUID

import sqlalchemy as sa
from crm_platform.errors import AlreadyExists, Conflict
from crm_platform.paging import Cursor
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crm_partner.adapters import documents
from crm_partner.adapters.orm import (
    assignment_offers,
    assignments,
    deal_registrations,
    joint_campaigns,
    partners,
)
from crm_partner.domain.assignments import (
    OPEN_STATES,
    Assignment,
    AssignmentState,
    AssignmentView,
    WorkKind,
)
from crm_partner.domain.campaigns import JointCampaign
from crm_partner.domain.partners import Partner
from crm_partner.domain.registrations import DealRegistration, RegistrationState
from crm_partner.domain.suggestions import Load
from crm_partner.service_layer.ports import AssignmentFilters

OPEN = [state.value for state in OPEN_STATES]


class Versioned(Protocol):
    version: int

    def pull_events(self) -> list[object]: ...


A = TypeVar("A", bound=Versioned)


class _Rows(Generic[A]):
    """Reading and writing one table's aggregates under the version check."""

    table: sa.Table
    key: str = "id"

    def __init__(self, session: Session, track: Callable[[Any], None]) -> None:
        self.session = session
        self._track = track
        self._loaded: dict[UUID, int] = {}  # id -> the version this transaction read

    def _values(self, aggregate: A) -> dict[str, Any]:
        raise NotImplementedError

    def _aggregate(self, row: Any) -> A:
        raise NotImplementedError

    def _id(self, aggregate: A) -> UUID:
        identifier: UUID = getattr(aggregate, self.key)
        return identifier

    def _get(self, identifier: UUID) -> A | None:
        column = self.table.c[self.key]
        row = self.session.execute(sa.select(self.table).where(column == identifier)).first()
        return None if row is None else self._loaded_one(row)

    def _loaded_one(self, row: Any) -> A:
        aggregate = self._aggregate(row)
        self._loaded[self._id(aggregate)] = aggregate.version
        self._track(aggregate)
        return aggregate

    def _add(self, aggregate: A) -> None:
        self.session.execute(sa.insert(self.table).values(self._values(aggregate)))
        self._loaded[self._id(aggregate)] = aggregate.version
        self._track(aggregate)

    def _save(self, aggregate: A) -> bool:
        """False when unchanged."""
        identifier = self._id(aggregate)
        read = self._loaded[identifier]
        if aggregate.version == read:
            return False
        column = self.table.c[self.key]
        result: sa.CursorResult[Any] = self.session.execute(  # type: ignore[assignment]
            sa.update(self.table)
            .where(column == identifier)
            .where(self.table.c.version == read)
            .values(self._values(aggregate))
        )
        if result.rowcount != 1:
            raise Conflict(f"{identifier} was changed concurrently; read it again")
        self._loaded[identifier] = aggregate.version
        return True


def _after(table: sa.Table, after: Cursor | None) -> sa.ColumnElement[bool]:
    """Rows past the keyset position, newest first."""
    if after is None:
        return sa.true()
    created_at, row_id = after
    return sa.tuple_(table.c.created_at, table.c.id) < sa.tuple_(
        sa.literal(created_at, table.c.created_at.type), sa.literal(row_id, table.c.id.type)
    )


class SqlPartners(_Rows[Partner]):
    table = partners

    def get(self, partner_id: UUID) -> Partner | None:
        return self._get(partner_id)

    def add(self, partner: Partner) -> None:
        self._add(partner)

    def save(self, partner: Partner) -> None:
        self._save(partner)

    def list(self, capability: str, after: Cursor | None, limit: int) -> builtins.list[Partner]:
        statement = sa.select(partners)
        if capability:
            statement = statement.where(partners.c.skills.contains(f"|{capability}|"))
        if after is not None:
            created_at, partner_id = after
            statement = statement.where(
                sa.tuple_(partners.c.created_at, partners.c.id)
                > sa.tuple_(
                    sa.literal(created_at, partners.c.created_at.type),
                    sa.literal(partner_id, partners.c.id.type),
                )
            )
        statement = statement.order_by(partners.c.created_at, partners.c.id).limit(limit)
        return [self._loaded_one(row) for row in self.session.execute(statement)]

    def loads(self) -> builtins.list[Load]:
        counts: dict[UUID, int] = {
            partner_id: count
            for partner_id, count in self.session.execute(
                sa.select(assignments.c.partner_id, sa.func.count())
                .where(assignments.c.state.in_(OPEN))
                .group_by(assignments.c.partner_id)
            )
        }
        rows = self.session.execute(sa.select(partners).where(partners.c.active.is_(True)))
        return [
            Load(partner, counts.get(partner.id, 0)) for partner in map(documents.partner_of, rows)
        ]

    def open_assignments(self, partner_id: UUID) -> int:
        count: int = self.session.execute(
            sa.select(sa.func.count())
            .select_from(assignments)
            .where(assignments.c.partner_id == partner_id, assignments.c.state.in_(OPEN))
        ).scalar_one()
        return count

    def _aggregate(self, row: Any) -> Partner:
        return documents.partner_of(row)

    def _values(self, partner: Partner) -> dict[str, Any]:
        profile = partner.profile
        return {
            "id": partner.id,
            "name": profile.name,
            "active": profile.active,
            "skills": "|" + "|".join(sorted(profile.skills)) + "|",
            "document": documents.profile_document(profile),
            "version": partner.version,
            "created_at": partner.created_at,
            "updated_at": partner.updated_at,
        }


class SqlAssignments(_Rows[Assignment]):
    table = assignments

    def get(self, assignment_id: UUID) -> Assignment | None:
        return self._get(assignment_id)

    def add(self, assignment: Assignment) -> None:
        try:
            with self.session.begin_nested():
                self._add(assignment)
        except IntegrityError:
            raise AlreadyExists(
                f"{assignment.work.kind} {assignment.work.work_id} is outsourced already",
                existing_id="",
            ) from None
        self._record_offers(assignment)

    def save(self, assignment: Assignment) -> None:
        if self._save(assignment):
            self._record_offers(assignment)

    def list(
        self, filters: AssignmentFilters, after: Cursor | None, limit: int
    ) -> builtins.list[Assignment]:
        statement = sa.select(assignments).where(_after(assignments, after))
        if filters.partner_id is not None:
            offered = sa.select(assignment_offers.c.assignment_id).where(
                assignment_offers.c.partner_id == filters.partner_id
            )
            statement = statement.where(assignments.c.id.in_(offered))
        if filters.state is not None:
            statement = statement.where(assignments.c.state == filters.state.value)
        if filters.work_id is not None:
            statement = statement.where(assignments.c.work_id == filters.work_id)
        statement = statement.order_by(
            assignments.c.created_at.desc(), assignments.c.id.desc()
        ).limit(limit)
        return [self._loaded_one(row) for row in self.session.execute(statement)]

    def open_for(self, kind: WorkKind, work_id: UUID) -> Assignment | None:
        row = self.session.execute(
            sa.select(assignments).where(
                assignments.c.work_kind == kind.value,
                assignments.c.work_id == work_id,
                assignments.c.state.in_(OPEN),
            )
        ).first()
        return None if row is None else self._loaded_one(row)

    def due(self, now: datetime, limit: int) -> builtins.list[UUID]:
        rows = self.session.execute(
            sa.select(assignments.c.id)
            .where(
                assignments.c.state == AssignmentState.OFFERED.value,
                assignments.c.deadline <= now,
            )
            .order_by(assignments.c.deadline)
            .limit(limit)
        )
        return list(rows.scalars())

    def offered_to(self, partner_id: UUID) -> builtins.list[AssignmentView]:
        offered = sa.select(assignment_offers.c.assignment_id).where(
            assignment_offers.c.partner_id == partner_id
        )
        rows = self.session.execute(sa.select(assignments).where(assignments.c.id.in_(offered)))
        return [documents.assignment_of(row).view() for row in rows]

    def _record_offers(self, assignment: Assignment) -> None:
        known = set(
            self.session.execute(
                sa.select(assignment_offers.c.partner_id).where(
                    assignment_offers.c.assignment_id == assignment.id
                )
            ).scalars()
        )
        new = [p for p in assignment.offered_partners if p not in known]
        if new:
            self.session.execute(
                sa.insert(assignment_offers),
                [{"assignment_id": assignment.id, "partner_id": p} for p in new],
            )

    def _aggregate(self, row: Any) -> Assignment:
        return documents.assignment_of(row)

    def _values(self, assignment: Assignment) -> dict[str, Any]:
        offer = assignment.current
        return {
            "id": assignment.id,
            "work_kind": assignment.work.kind.value,
            "work_id": assignment.work.work_id,
            "state": assignment.state.value,
            "partner_id": None if offer is None else offer.partner_id,
            "deadline": (
                offer.deadline if offer is not None and assignment.state is AssignmentState.OFFERED
                else None
            ),
            "document": documents.assignment_document(assignment),
            "version": assignment.version,
            "created_at": assignment.created_at,
            "updated_at": assignment.updated_at,
        }  # fmt: skip


class SqlRegistrations(_Rows[DealRegistration]):
    table = deal_registrations

    def get(self, registration_id: UUID) -> DealRegistration | None:
        return self._get(registration_id)

    def add(self, registration: DealRegistration) -> None:
        self._add(registration)

    def save(self, registration: DealRegistration) -> None:
        self._save(registration)

    def list(
        self,
        partner_id: UUID | None,
        state: RegistrationState | None,
        after: Cursor | None,
        limit: int,
    ) -> builtins.list[DealRegistration]:
        table = deal_registrations
        statement = sa.select(table).where(_after(table, after))
        if partner_id is not None:
            statement = statement.where(table.c.partner_id == partner_id)
        if state is not None:
            statement = statement.where(table.c.state == state.value)
        statement = statement.order_by(table.c.created_at.desc(), table.c.id.desc()).limit(limit)
        return [self._loaded_one(row) for row in self.session.execute(statement)]

    def approved_covering(
        self, customer_id: UUID, opportunity_id: UUID | None, other_than: UUID
    ) -> DealRegistration | None:
        table = deal_registrations
        same = table.c.customer_id == customer_id
        if opportunity_id is not None:
            same = sa.or_(same, table.c.opportunity_id == opportunity_id)
        row = self.session.execute(
            sa.select(table)
            .where(same, table.c.state == RegistrationState.APPROVED.value)
            .where(table.c.partner_id != other_than)
            .order_by(table.c.updated_at)
            .limit(1)
        ).first()
        return None if row is None else documents.registration_of(row)

    def _aggregate(self, row: Any) -> DealRegistration:
        return documents.registration_of(row)

    def _values(self, registration: DealRegistration) -> dict[str, Any]:
        return {
            "id": registration.id,
            "partner_id": registration.partner_id,
            "customer_id": registration.customer_id,
            "opportunity_id": registration.opportunity_id,
            "state": registration.state.value,
            "document": documents.registration_document(registration),
            "version": registration.version,
            "created_at": registration.created_at,
            "updated_at": registration.updated_at,
        }


class SqlCampaigns(_Rows[JointCampaign]):
    table = joint_campaigns
    key = "campaign_id"

    def get(self, campaign_id: UUID) -> JointCampaign | None:
        return self._get(campaign_id)

    def add(self, campaign: JointCampaign) -> None:
        self._add(campaign)

    def save(self, campaign: JointCampaign) -> None:
        self._save(campaign)

    def _aggregate(self, row: Any) -> JointCampaign:
        return documents.campaign_of(row)

    def _values(self, campaign: JointCampaign) -> dict[str, Any]:
        return {
            "campaign_id": campaign.campaign_id,
            "document": documents.campaign_document(campaign),
            "version": campaign.version,
            "updated_at": campaign.updated_at,
        }
