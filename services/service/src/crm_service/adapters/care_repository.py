"""The care tasks (care_tasks)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from crm_platform.errors import AlreadyExists
from crm_platform.paging import Cursor
from sqlalchemy.orm import Session

from crm_service.adapters.orm import care_tasks as T
from crm_service.domain.care import CareOccasion, CareTask


class SqlCareTasks:
    def __init__(self, session: Session, track: Callable[[CareTask], None]) -> None:
        self.session = session
        self._track = track

    def has(self, customer_id: UUID, occasion: CareOccasion, year: int) -> bool:
        found = self.session.execute(
            sa.select(T.c.id).where(
                T.c.customer_id == customer_id, T.c.occasion == occasion.value, T.c.year == year
            )
        ).first()
        return found is not None

    def add(self, task: CareTask) -> None:
        try:
            with self.session.begin_nested():
                self.session.execute(sa.insert(T).values(_values(task)))
        except sa.exc.IntegrityError:
            raise AlreadyExists(
                f"a {task.occasion} care task of {task.customer_id} in {task.due_on.year}",
                str(task.customer_id),
            ) from None
        self._track(task)

    def of_owner(self, owner_id: str, after: Cursor | None, limit: int) -> list[CareTask]:
        statement = sa.select(T).where(T.c.owner_id == owner_id)
        if after is not None:
            created_at, task_id = after
            statement = statement.where(
                sa.tuple_(T.c.created_at, T.c.id)
                < sa.tuple_(
                    sa.literal(created_at, T.c.created_at.type), sa.literal(task_id, T.c.id.type)
                )
            )
        statement = statement.order_by(T.c.created_at.desc(), T.c.id.desc()).limit(limit)
        return [_task_of(row) for row in self.session.execute(statement)]


def _values(task: CareTask) -> dict[str, Any]:
    return {
        "id": task.id,
        "customer_id": task.customer_id,
        "customer_name": task.customer_name,
        "owner_id": task.owner_id,
        "occasion": task.occasion.value,
        "due_on": task.due_on,
        "year": task.due_on.year,
        "years": task.years,
        "created_at": task.created_at,
    }


def _task_of(row: Any) -> CareTask:
    return CareTask(
        id=row.id,
        customer_id=row.customer_id,
        customer_name=row.customer_name,
        owner_id=row.owner_id,
        occasion=CareOccasion(row.occasion),
        due_on=row.due_on,
        years=row.years,
        created_at=row.created_at,
    )
