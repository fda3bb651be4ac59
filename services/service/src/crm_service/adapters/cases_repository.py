"""The cases' storage: a case row and its messages (each written once). A stale version is a
Conflict (ABORTED)."""

from __future__ import annotations

import builtins
from collections import defaultdict
from collections.abc import Callable
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from crm_platform.errors import Conflict
from crm_platform.paging import Cursor
from sqlalchemy.orm import Session

from crm_service.adapters.orm import case_messages, cases
from crm_service.adapters.visibility import visible
from crm_service.domain.cases import (
    Case,
    CaseChannel,
    CaseDetails,
    CaseMessage,
    CasePriority,
    CaseStatus,
    CaseType,
    Contact,
    CustomerRecognition,
)
from crm_service.domain.values import Actor, ActorKind
from crm_service.service_layer.ports import CaseFilters


class SqlCaseRepository:
    def __init__(self, session: Session, track: Callable[[Case], None]) -> None:
        self.session = session
        self._track = track
        self._loaded: dict[UUID, tuple[int, int]] = {}  # id -> (version, messages) as read

    def get(self, case_id: UUID) -> Case | None:
        row = self.session.execute(sa.select(cases).where(cases.c.id == case_id)).first()
        return None if row is None else self._loaded_cases([row])[0]

    def add(self, case: Case) -> None:
        self.session.execute(sa.insert(cases).values(_values(case)))
        self._write_messages(case, 0)
        self._loaded[case.id] = (case.version, len(case.messages))
        self._track(case)

    def save(self, case: Case) -> None:
        version, written = self._loaded[case.id]
        if case.version == version:
            return
        result: sa.CursorResult[Any] = self.session.execute(  # type: ignore[assignment]
            sa.update(cases)
            .where(cases.c.id == case.id, cases.c.version == version)
            .values(_values(case))
        )
        if result.rowcount != 1:
            raise Conflict(f"case {case.id} was changed concurrently; read it again")
        self._write_messages(case, written)
        self._loaded[case.id] = (case.version, len(case.messages))

    def list(self, filters: CaseFilters, after: Cursor | None, limit: int) -> list[Case]:
        statement = sa.select(cases).where(visible(filters.scope, cases))
        if filters.status is not None:
            statement = statement.where(cases.c.status == filters.status.value)
        if filters.owner_id is not None:
            statement = statement.where(cases.c.owner_id == filters.owner_id)
        if filters.unassigned:
            statement = statement.where(cases.c.owner_id.is_(None))
        if filters.customer_id is not None:
            statement = statement.where(cases.c.customer_id == filters.customer_id)
        if after is not None:
            created_at, case_id = after
            statement = statement.where(
                sa.tuple_(cases.c.created_at, cases.c.id)
                < sa.tuple_(
                    sa.literal(created_at, cases.c.created_at.type),
                    sa.literal(case_id, cases.c.id.type),
                )
            )
        statement = statement.order_by(cases.c.created_at.desc(), cases.c.id.desc()).limit(limit)
        return self._loaded_cases(list(self.session.execute(statement)))

    def _loaded_cases(self, rows: builtins.list[Any]) -> builtins.list[Case]:
        conversations = self._messages_of([row.id for row in rows])
        loaded = []
        for row in rows:
            case = _case(row, conversations[row.id])
            self._loaded[case.id] = (case.version, len(case.messages))
            self._track(case)
            loaded.append(case)
        return loaded

    def _messages_of(self, case_ids: builtins.list[UUID]) -> dict[UUID, builtins.list[CaseMessage]]:
        conversations: dict[UUID, builtins.list[CaseMessage]] = defaultdict(list)
        if case_ids:
            rows = self.session.execute(
                sa.select(case_messages)
                .where(case_messages.c.case_id.in_(case_ids))
                .order_by(case_messages.c.created_at, case_messages.c.id)
            )
            for row in rows:
                conversations[row.case_id].append(
                    CaseMessage(
                        id=row.id,
                        author=Actor(subject=row.author_id, kind=ActorKind(row.author_kind)),
                        body=row.body,
                        internal=row.internal,
                        created_at=row.created_at,
                    )
                )
        return conversations

    def _write_messages(self, case: Case, written: int) -> None:
        """The messages added since the case was read: a message is never changed."""
        new = case.messages[written:]
        if new:
            self.session.execute(
                sa.insert(case_messages),
                [
                    {
                        "id": message.id,
                        "case_id": case.id,
                        "author_id": message.author.subject,
                        "author_kind": message.author.kind.value,
                        "body": message.body,
                        "internal": message.internal,
                        "created_at": message.created_at,
                    }
                    for message in new
                ],
            )


def _values(case: Case) -> dict[str, Any]:
    details = case.details
    return {
        "id": case.id,
        "reference": case.reference,
        "type": details.type.value,
        "priority": details.priority.value,
        "channel": case.channel.value,
        "status": case.status.value,
        "subject": details.subject,
        "description": details.description,
        "product_ref": details.product_ref,
        "order_ref": details.order_ref,
        "customer_id": case.customer_id,
        "recognition": case.recognition.value,
        "contact_email": case.contact.email,
        "contact_phone": case.contact.phone,
        "owner_id": case.owner_id,
        "resolution": case.resolution,
        "reopen_count": case.reopen_count,
        "first_response_at": case.first_response_at,
        "resolved_at": case.resolved_at,
        "closed_at": case.closed_at,
        "version": case.version,
        "created_at": case.created_at,
        "updated_at": case.updated_at,
    }


def _case(row: Any, messages: list[CaseMessage]) -> Case:
    return Case(
        id=row.id,
        reference=row.reference,
        details=CaseDetails(
            type=CaseType(row.type),
            priority=CasePriority(row.priority),
            subject=row.subject,
            description=row.description,
            product_ref=row.product_ref,
            order_ref=row.order_ref,
        ),
        channel=CaseChannel(row.channel),
        status=CaseStatus(row.status),
        customer_id=row.customer_id,
        recognition=CustomerRecognition(row.recognition),
        contact=Contact(email=row.contact_email, phone=row.contact_phone),
        owner_id=row.owner_id,
        resolution=row.resolution,
        messages=messages,
        reopen_count=row.reopen_count,
        first_response_at=row.first_response_at,
        resolved_at=row.resolved_at,
        closed_at=row.closed_at,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
