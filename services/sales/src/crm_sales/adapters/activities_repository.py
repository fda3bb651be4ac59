"""Activities over SQLAlchemy Core: the columns they are found by, the rest as a JSON document.
A stale version is a Conflict (ABORTED)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from crm_platform.errors import Conflict
from crm_platform.paging import Cursor
from sqlalchemy.orm import Session

from crm_sales.adapters.orm import activities
from crm_sales.adapters.visibility import visible
from crm_sales.domain.activities import (
    Activity,
    ActivityKind,
    ActivityState,
    CallOutcome,
    Subject,
    SubjectKind,
)
from crm_sales.service_layer.activities import ActivityFilters
from crm_sales.service_layer.visibility import Scope


class SqlActivityRepository:
    def __init__(self, session: Session, track: Callable[[Activity], None]) -> None:
        self.session = session
        self._track = track  # the unit of work's: it collects the events of what is read here
        self._loaded: dict[UUID, int] = {}

    def get(self, activity_id: UUID) -> Activity | None:
        row = self.session.execute(
            sa.select(activities).where(activities.c.id == activity_id)
        ).first()
        return None if row is None else self._loaded_activity(row)

    def add(self, activity: Activity) -> None:
        self.session.execute(sa.insert(activities).values(_values(activity)))
        self._loaded[activity.id] = activity.version
        self._track(activity)

    def save(self, activity: Activity) -> None:
        read = self._loaded[activity.id]
        if activity.version == read:
            return
        result: sa.CursorResult[Any] = self.session.execute(  # type: ignore[assignment]
            sa.update(activities)
            .where(activities.c.id == activity.id)
            .where(activities.c.version == read)
            .values(_values(activity))
        )
        if result.rowcount != 1:
            raise Conflict(f"activity {activity.id} was changed concurrently; read it again")
        self._loaded[activity.id] = activity.version

    def list(
        self, scope: Scope, filters: ActivityFilters, after: Cursor | None, limit: int
    ) -> list[Activity]:
        table = activities
        statement = sa.select(table).where(visible(scope, table))
        if filters.owner_id is not None:
            statement = statement.where(table.c.owner_id == filters.owner_id)
        if filters.subject is not None:
            statement = statement.where(
                table.c.subject_kind == filters.subject.kind.value,
                table.c.subject_id == filters.subject.id,
            )
        if filters.kind is not None:
            statement = statement.where(table.c.kind == filters.kind.value)
        if filters.done is not None:
            done = table.c.state == ActivityState.DONE.value
            statement = statement.where(done if filters.done else sa.not_(done))
        if filters.open_only:
            statement = statement.where(table.c.state == ActivityState.SCHEDULED.value)
        if filters.due_from is not None:
            statement = statement.where(table.c.due_at >= filters.due_from)
        if filters.due_to is not None:
            statement = statement.where(table.c.due_at < filters.due_to)
        if after is not None:
            due_at, activity_id = after
            statement = statement.where(
                sa.tuple_(table.c.due_at, table.c.id)
                > sa.tuple_(
                    sa.literal(due_at, table.c.due_at.type),
                    sa.literal(activity_id, table.c.id.type),
                )
            )
        statement = statement.order_by(table.c.due_at, table.c.id).limit(limit)
        return [self._loaded_activity(row) for row in self.session.execute(statement)]

    def _loaded_activity(self, row: Any) -> Activity:
        document = row.document
        activity = Activity(
            id=row.id,
            kind=ActivityKind(row.kind),
            subject=Subject(SubjectKind(row.subject_kind), row.subject_id),
            customer_id=row.customer_id,
            title=document["title"],
            notes=document["notes"],
            owner_id=row.owner_id,
            due_at=row.due_at,
            duration_minutes=document["duration_minutes"],
            state=ActivityState(row.state),
            done_at=row.done_at,
            outcome=None if row.outcome is None else CallOutcome(row.outcome),
            outcome_note=document["outcome_note"],
            cancel_reason=document["cancel_reason"],
            version=row.version,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )
        self._loaded[activity.id] = activity.version
        self._track(activity)
        return activity


def _values(activity: Activity) -> dict[str, Any]:
    return {
        "id": activity.id,
        "owner_id": activity.owner_id,
        "kind": activity.kind.value,
        "subject_kind": activity.subject.kind.value,
        "subject_id": activity.subject.id,
        "customer_id": activity.customer_id,
        "state": activity.state.value,
        "due_at": activity.due_at,
        "done_at": activity.done_at,
        "outcome": None if activity.outcome is None else activity.outcome.value,
        "document": {
            "title": activity.title,
            "notes": activity.notes,
            "duration_minutes": activity.duration_minutes,
            "outcome_note": activity.outcome_note,
            "cancel_reason": activity.cancel_reason,
        },
        "version": activity.version,
        "created_at": activity.created_at,
        "updated_at": activity.updated_at,
    }
