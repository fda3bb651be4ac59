"""The leads' storage: the lead repository, the assignment log and round-robin cursors, and the
win models' counts. A stale version is a Conflict (ABORTED)."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from crm_platform.errors import Conflict
from crm_platform.paging import Cursor
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crm_sales.adapters.orm import (
    OPEN_LEAD_CONTACT_INDEXES,
    activities,
    assignment_cursors,
    lead_assignments,
    leads,
    win_models,
)
from crm_sales.adapters.visibility import visible
from crm_sales.domain.assignment import AssignmentReason, month_of
from crm_sales.domain.leads import (
    OPEN,
    Contact,
    Lead,
    LeadStatus,
    OpenLeadExists,
    ScoreOverride,
)
from crm_sales.domain.scoring import Features, WinModel
from crm_sales.domain.teams import CompanySize, LeadSource
from crm_sales.service_layer.leads import LeadFilters

COMPANY = "company"  # the win model of every team's outcomes
_OPEN = sorted(status.value for status in OPEN)
_CONTACT_KEYS = tuple(
    column.name for index in OPEN_LEAD_CONTACT_INDEXES for column in index.columns
)


def _contact_taken(error: IntegrityError) -> OpenLeadExists | None:
    """The error when another open lead holds the email or phone (a concurrent capture won;
    who it is, the caller asks once the statement is undone)."""
    if not any(key in str(error.orig) for key in _CONTACT_KEYS):
        return None
    return OpenLeadExists("another open lead has this email or phone", existing_id="")


class SqlLeadRepository:
    def __init__(self, session: Session, track: Callable[[Lead], None]) -> None:
        self.session = session
        self._track = track
        self._loaded: dict[UUID, int] = {}

    def get(self, lead_id: UUID) -> Lead | None:
        row = self.session.execute(sa.select(leads).where(leads.c.id == lead_id)).first()
        return None if row is None else self._loaded_lead(row)

    def captured(self, capture_id: UUID) -> Lead | None:
        """The lead a capture (marketing's lead id) made or was merged into."""
        row = self.session.execute(sa.select(leads).where(leads.c.capture_id == capture_id)).first()
        return None if row is None else self._loaded_lead(row)

    def open_duplicate(
        self, email_key: str, phone_key: str, besides: UUID | None = None
    ) -> Lead | None:
        """The oldest open lead with this email or phone (other than `besides`)."""
        keys = []
        if email_key:
            keys.append(leads.c.email_key == email_key)
        if phone_key:
            keys.append(leads.c.phone_key == phone_key)
        if not keys:
            return None
        statement = sa.select(leads).where(sa.or_(*keys), leads.c.status.in_(_OPEN))
        if besides is not None:
            statement = statement.where(leads.c.id != besides)
        row = self.session.execute(
            statement.order_by(leads.c.created_at, leads.c.id).limit(1)
        ).first()
        return None if row is None else self._loaded_lead(row)

    def of_customer(self, customer_id: UUID) -> list[Lead]:
        rows = self.session.execute(sa.select(leads).where(leads.c.customer_id == customer_id))
        return [self._loaded_lead(row) for row in rows]

    def add(self, lead: Lead, capture_id: UUID | None = None) -> None:
        try:
            self.session.execute(
                sa.insert(leads).values({**_values(lead), "capture_id": capture_id})
            )
        except IntegrityError as error:
            raise (_contact_taken(error) or error) from None
        self._loaded[lead.id] = lead.version
        self._track(lead)

    def save(self, lead: Lead) -> None:
        read = self._loaded[lead.id]
        if lead.version == read:
            return
        try:
            result: sa.CursorResult[Any] = self.session.execute(  # type: ignore[assignment]
                sa.update(leads)
                .where(leads.c.id == lead.id)
                .where(leads.c.version == read)
                .values(_values(lead))
            )
        except IntegrityError as error:
            raise (_contact_taken(error) or error) from None
        if result.rowcount != 1:
            raise Conflict(f"lead {lead.id} was changed concurrently; read it again")
        self._loaded[lead.id] = lead.version

    def list(self, filters: LeadFilters, after: Cursor | None, limit: int) -> list[Lead]:
        statement = sa.select(leads).where(visible(filters.scope, leads))
        for column, value in (
            (leads.c.status, filters.status and filters.status.value),
            (leads.c.owner_id, filters.owner_id),
            (leads.c.team_id, filters.team_id),
            (leads.c.source, filters.source and filters.source.value),
        ):
            if value is not None:
                statement = statement.where(column == value)
        if after is not None:
            created_at, lead_id = after
            statement = statement.where(
                sa.tuple_(leads.c.created_at, leads.c.id)
                < sa.tuple_(
                    sa.literal(created_at, leads.c.created_at.type),
                    sa.literal(lead_id, leads.c.id.type),
                )
            )
        statement = statement.order_by(leads.c.created_at.desc(), leads.c.id.desc()).limit(limit)
        return [self._loaded_lead(row) for row in self.session.execute(statement)]

    def activity_counts(self, lead_id: UUID) -> dict[str, int]:
        """Kind -> how many activities about the lead were done."""
        rows = self.session.execute(
            sa.select(activities.c.kind, sa.func.count())
            .where(
                activities.c.subject_kind == "lead",
                activities.c.subject_id == lead_id,
                activities.c.state == "done",
            )
            .group_by(activities.c.kind)
        )
        return {kind: int(count) for kind, count in rows}

    def _loaded_lead(self, row: Any) -> Lead:
        lead = _lead(row)
        self._loaded[lead.id] = lead.version
        self._track(lead)
        return lead


class SqlAssignments:
    """This month's assignments per rep, and each team's round-robin cursor."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._cursor_version = 0  # of the cursor locked last

    def counts(self, team_ids: Iterable[UUID], month: str) -> dict[UUID, Counter[str]]:
        ids = list(team_ids)
        counts: dict[UUID, Counter[str]] = {team_id: Counter() for team_id in ids}
        if ids:
            rows = self.session.execute(
                sa.select(lead_assignments.c.team_id, lead_assignments.c.owner_id, sa.func.count())
                .where(lead_assignments.c.team_id.in_(ids), lead_assignments.c.month == month)
                .group_by(lead_assignments.c.team_id, lead_assignments.c.owner_id)
            )
            for team_id, owner_id, count in rows:
                counts[team_id][owner_id] = int(count)
        return counts

    def lock_cursor(self, team_id: UUID) -> str | None:
        """The rep who got the team's last lead, the cursor's row locked until commit (on
        SQLite the write lock of the first write serializes instead)."""
        row = self.session.execute(
            sa.select(assignment_cursors)
            .where(assignment_cursors.c.team_id == team_id)
            .with_for_update()
        ).first()
        if row is None:
            try:
                with self.session.begin_nested():
                    self.session.execute(
                        sa.insert(assignment_cursors).values(
                            team_id=team_id, last_user_id=None, version=0
                        )
                    )
            except IntegrityError:
                pass  # a concurrent first assignment made it: lock theirs
            return self.lock_cursor(team_id)
        self._cursor_version = int(row.version)
        return row.last_user_id  # type: ignore[no-any-return]

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
        self.session.execute(
            sa.insert(lead_assignments).values(
                id=uuid.uuid4(),
                lead_id=lead_id,
                team_id=team_id,
                owner_id=owner_id,
                month=month_of(now),
                reason=reason.value,
                assigned_at=now,
            )
        )
        if advance_cursor:
            result: sa.CursorResult[Any] = self.session.execute(  # type: ignore[assignment]
                sa.update(assignment_cursors)
                .where(
                    assignment_cursors.c.team_id == team_id,
                    assignment_cursors.c.version == self._cursor_version,
                )
                .values(last_user_id=owner_id, version=self._cursor_version + 1)
            )
            if result.rowcount != 1:
                raise Conflict(f"team {team_id} assigned another lead meanwhile; try again")


class SqlWinModels:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, team_id: UUID | None) -> WinModel:
        """The team's model; the company's while the team has no outcome of its own."""
        for scope in ([str(team_id)] if team_id else []) + [COMPANY]:
            counts = self.session.execute(
                sa.select(win_models.c.counts).where(win_models.c.scope == scope)
            ).scalar()
            if counts is not None:
                return WinModel.from_document(counts)
        return WinModel()

    def learn(self, team_id: UUID | None, features: Features, won: bool) -> None:
        """One outcome, into the team's model and the company's."""
        for scope, owner in ([(str(team_id), team_id)] if team_id else []) + [(COMPANY, None)]:
            self._update(scope, owner, lambda model: model.learn(features, won))

    def rebuild(self, outcomes: Iterable[tuple[UUID | None, Features, bool]]) -> int:
        """Every model anew from these outcomes (team, features, won); how many there were."""
        models: dict[UUID | None, WinModel] = {None: WinModel()}
        count = 0
        for team_id, features, won in outcomes:
            for scope in {team_id, None}:
                models.setdefault(scope, WinModel()).learn(features, won)
            count += 1
        now = datetime.now(UTC)
        self.session.execute(sa.delete(win_models))
        for team_id, model in models.items():
            self.session.execute(
                sa.insert(win_models).values(
                    scope=COMPANY if team_id is None else str(team_id),
                    team_id=team_id,
                    counts=model.to_document(),
                    version=1,
                    updated_at=now,
                )
            )
        return count

    def _update(self, scope: str, team_id: UUID | None, change: Callable[[WinModel], None]) -> None:
        now = datetime.now(UTC)
        row = self.session.execute(
            sa.select(win_models).where(win_models.c.scope == scope).with_for_update()
        ).first()
        model = WinModel() if row is None else WinModel.from_document(row.counts)
        change(model)
        if row is None:
            try:
                with self.session.begin_nested():
                    self.session.execute(
                        sa.insert(win_models).values(
                            scope=scope,
                            team_id=team_id,
                            counts=model.to_document(),
                            version=1,
                            updated_at=now,
                        )
                    )
                return
            except IntegrityError:
                raise Conflict(f"the win model {scope} was changed concurrently") from None
        result: sa.CursorResult[Any] = self.session.execute(  # type: ignore[assignment]
            sa.update(win_models)
            .where(win_models.c.scope == scope, win_models.c.version == row.version)
            .values(counts=model.to_document(), version=row.version + 1, updated_at=now)
        )
        if result.rowcount != 1:
            raise Conflict(f"the win model {scope} was changed concurrently")


def _values(lead: Lead) -> dict[str, Any]:
    contact = lead.contact
    override = lead.override
    return {
        "id": lead.id,
        "status": lead.status.value,
        "source": lead.source.value,
        "owner_id": lead.owner_id,
        "team_id": lead.team_id,
        "customer_id": lead.customer_id,
        "email_key": lead.email_key,
        "phone_key": lead.phone_key,
        "document": {
            "campaign_id": lead.campaign_id,
            "contact": {
                "name": contact.name,
                "company": contact.company,
                "email": contact.email,
                "phone": contact.phone,
                "region": contact.region,
                "city": contact.city,
                "company_size": contact.company_size and contact.company_size.value,
            },
            "notes": lead.notes,
            "tags": sorted(lead.tags),
            "score": lead.score,
            "score_reasons": list(lead.score_reasons),
            "predicted": str(lead.predicted),
            "override": None
            if override is None
            else {
                "probability": str(override.probability),
                "reason": override.reason,
                "by": override.by,
                "at": override.at.isoformat(),
            },
            "merged_into_id": lead.merged_into_id and str(lead.merged_into_id),
            "opportunity_id": lead.opportunity_id and str(lead.opportunity_id),
            "disqualify_reason": lead.disqualify_reason,
        },
        "version": lead.version,
        "created_at": lead.created_at,
        "updated_at": lead.updated_at,
    }


def _lead(row: Any) -> Lead:
    document = row.document
    contact = document["contact"]
    override = document["override"]
    return Lead(
        id=row.id,
        status=LeadStatus(row.status),
        source=LeadSource(row.source),
        campaign_id=document["campaign_id"],
        contact=Contact(
            name=contact["name"],
            company=contact["company"],
            email=contact["email"],
            phone=contact["phone"],
            region=contact["region"],
            city=contact["city"],
            company_size=contact["company_size"] and CompanySize(contact["company_size"]),
        ),
        notes=document["notes"],
        tags=frozenset(document["tags"]),
        owner_id=row.owner_id,
        team_id=row.team_id,
        score=int(document["score"]),
        score_reasons=tuple(document["score_reasons"]),
        predicted=Decimal(document["predicted"]),
        override=None
        if override is None
        else ScoreOverride(
            Decimal(override["probability"]),
            override["reason"],
            override["by"],
            datetime.fromisoformat(override["at"]),
        ),
        merged_into_id=_uuid(document["merged_into_id"]),
        customer_id=row.customer_id,
        opportunity_id=_uuid(document["opportunity_id"]),
        disqualify_reason=document["disqualify_reason"],
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _uuid(value: str | None) -> UUID | None:
    return None if value is None else UUID(value)
