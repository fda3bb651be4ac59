"""The satisfaction surveys (surveys)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from crm_platform.errors import Conflict
from sqlalchemy.orm import Session

from crm_service.adapters.orm import surveys as S
from crm_service.domain.surveys import Survey


class SqlSurveys:
    def __init__(self, session: Session, track: Callable[[Survey], None]) -> None:
        self.session = session
        self._track = track
        self._versions: dict[UUID, int] = {}

    def add(self, survey: Survey) -> None:
        self.session.execute(sa.insert(S).values(_values(survey)))
        self._loaded(survey)

    def get(self, survey_id: UUID) -> Survey | None:
        return self._one(S.c.id == survey_id)

    def of_case(self, case_id: UUID) -> Survey | None:
        return self._one(S.c.case_id == case_id)

    def save(self, survey: Survey) -> None:
        read = self._versions[survey.id]
        if survey.version == read:
            return
        result: sa.CursorResult[Any] = self.session.execute(  # type: ignore[assignment]
            sa.update(S).where(S.c.id == survey.id, S.c.version == read).values(_values(survey))
        )
        if result.rowcount != 1:
            raise Conflict(f"survey {survey.id} was changed concurrently; read it again")
        self._versions[survey.id] = survey.version

    def answered_since(self, since: datetime | None) -> list[Survey]:
        statement = sa.select(S).where(S.c.answered_at.is_not(None))
        if since is not None:
            statement = statement.where(S.c.answered_at >= sa.literal(since, S.c.answered_at.type))
        return [_survey_of(row) for row in self.session.execute(statement.order_by(S.c.id))]

    def _one(self, condition: Any) -> Survey | None:
        row = self.session.execute(sa.select(S).where(condition)).first()
        return None if row is None else self._loaded(_survey_of(row))

    def _loaded(self, survey: Survey) -> Survey:
        self._versions[survey.id] = survey.version
        self._track(survey)
        return survey


def _values(survey: Survey) -> dict[str, Any]:
    return {
        "id": survey.id,
        "case_id": survey.case_id,
        "case_reference": survey.case_reference,
        "case_subject": survey.case_subject,
        "customer_id": survey.customer_id,
        "agent_id": survey.agent_id,
        "team_id": survey.team_id,
        "score": survey.score,
        "comment": survey.comment,
        "answered_at": survey.answered_at,
        "created_at": survey.created_at,
        "version": survey.version,
    }


def _survey_of(row: Any) -> Survey:
    return Survey(
        id=row.id,
        case_id=row.case_id,
        case_reference=row.case_reference,
        case_subject=row.case_subject,
        customer_id=row.customer_id,
        agent_id=row.agent_id,
        team_id=row.team_id,
        score=row.score,
        comment=row.comment,
        answered_at=row.answered_at,
        created_at=row.created_at,
        version=row.version,
    )
