"""The cases' storage: a case row and its messages (each written once). A stale version is a
Conflict (ABORTED)."""

from __future__ import annotations

import builtins
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from crm_platform.errors import Conflict
from crm_platform.paging import Cursor
from sqlalchemy.orm import Session

from crm_service.adapters.orm import case_attachments, case_messages, cases, sla_clocks
from crm_service.adapters.sla_json import (
    calendar_from_json,
    calendar_to_json,
    pauses_from_json,
    pauses_to_json,
)
from crm_service.adapters.visibility import visible
from crm_service.domain.cases import (
    OPEN,
    Attachment,
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
from crm_service.domain.clocks import ClockKind, SlaClock
from crm_service.domain.values import Actor, ActorKind
from crm_service.service_layer.ports import CaseFilters


class SqlCaseRepository:
    def __init__(self, session: Session, track: Callable[[Case], None]) -> None:
        self.session = session
        self._track = track
        self._loaded: dict[UUID, tuple[int, int]] = {}  # id -> (version, messages) as read
        # (case, clock) -> (warned, breached) as read
        self._recorded: dict[tuple[UUID, ClockKind], tuple[bool, bool]] = {}

    def get(self, case_id: UUID) -> Case | None:
        row = self.session.execute(sa.select(cases).where(cases.c.id == case_id)).first()
        return None if row is None else self._loaded_cases([row])[0]

    def add(self, case: Case) -> None:
        self.session.execute(sa.insert(cases).values(_values(case)))
        self._write_messages(case, 0)
        if case.clocks:
            self.session.execute(
                sa.insert(sla_clocks), [_clock_values(case.id, clock) for clock in case.clocks]
            )
        self._loaded[case.id] = (case.version, len(case.messages))
        self._remember_clocks(case)
        self._track(case)

    def with_running_clocks(self, after: Cursor | None, limit: int) -> builtins.list[Case]:
        """The open cases with a clock not breached yet, oldest first, after `after`."""
        statement = sa.select(cases).where(
            cases.c.status.in_([status.value for status in OPEN]),
            sa.exists().where(
                sla_clocks.c.case_id == cases.c.id, sla_clocks.c.breached_at.is_(None)
            ),
        )
        if after is not None:
            created_at, case_id = after
            statement = statement.where(
                sa.tuple_(cases.c.created_at, cases.c.id)
                > sa.tuple_(
                    sa.literal(created_at, cases.c.created_at.type),
                    sa.literal(case_id, cases.c.id.type),
                )
            )
        statement = statement.order_by(cases.c.created_at, cases.c.id).limit(limit)
        return self._loaded_cases(list(self.session.execute(statement)))

    def save(self, case: Case) -> None:
        version, written = self._loaded[case.id]
        self._record_clocks(case)
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

    def _record_clocks(self, case: Case) -> None:
        """A warning or breach is recorded once: claimed on the row, so a second evaluator
        (another replica, or the same one before a restart) claims nothing and its
        transaction, outbox rows included, is rolled back."""
        for clock in case.clocks:
            warned, breached = self._recorded[(case.id, clock.kind)]
            claims = []
            if clock.warned_at is not None and not warned:
                claims.append((sla_clocks.c.warned_at, clock.warned_at))
            if clock.breached_at is not None and not breached:
                claims.append((sla_clocks.c.breached_at, clock.breached_at))
            for column, moment in claims:
                result: sa.CursorResult[Any] = self.session.execute(  # type: ignore[assignment]
                    sa.update(sla_clocks)
                    .where(
                        sla_clocks.c.case_id == case.id,
                        sla_clocks.c.kind == clock.kind.value,
                        column.is_(None),
                    )
                    .values({column.name: moment})
                )
                if result.rowcount != 1:
                    raise Conflict(f"the {clock.kind} clock of case {case.id} was recorded already")
        self._remember_clocks(case)

    def _remember_clocks(self, case: Case) -> None:
        for clock in case.clocks:
            recorded = (clock.warned_at is not None, clock.breached_at is not None)
            self._recorded[(case.id, clock.kind)] = recorded

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
        clocks = self._clocks_of([row.id for row in rows])
        loaded = []
        for row in rows:
            case = _case(row, conversations[row.id], clocks[row.id])
            self._loaded[case.id] = (case.version, len(case.messages))
            self._remember_clocks(case)
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
            files = self._attachments_of(case_ids)
            for row in rows:
                conversations[row.case_id].append(
                    CaseMessage(
                        id=row.id,
                        author=Actor(subject=row.author_id, kind=ActorKind(row.author_kind)),
                        body=row.body,
                        internal=row.internal,
                        created_at=row.created_at,
                        unknown_sender=row.unknown_sender,
                        mail_id=row.mail_id,
                        attachments=files.get(row.id, ()),
                    )
                )
        return conversations

    def _attachments_of(self, case_ids: builtins.list[UUID]) -> dict[UUID, tuple[Attachment, ...]]:
        """Each message's attachments, without their content."""
        found: dict[UUID, builtins.list[Attachment]] = defaultdict(list)
        rows = self.session.execute(
            sa.select(
                case_attachments.c.id,
                case_attachments.c.message_id,
                case_attachments.c.filename,
                case_attachments.c.content_type,
                case_attachments.c.size,
            )
            .join(case_messages, case_messages.c.id == case_attachments.c.message_id)
            .where(case_messages.c.case_id.in_(case_ids))
            .order_by(case_attachments.c.filename, case_attachments.c.id)
        )
        for row in rows:
            found[row.message_id].append(
                Attachment(row.id, row.filename, row.content_type, row.size)
            )
        return {message_id: tuple(files) for message_id, files in found.items()}

    def find_by_reference(self, reference: str) -> Case | None:
        row = self.session.execute(sa.select(cases).where(cases.c.reference == reference)).first()
        return None if row is None else self._loaded_cases([row])[0]

    def resolved_before(self, moment: datetime, limit: int) -> builtins.list[UUID]:
        return list(
            self.session.execute(
                sa.select(cases.c.id)
                .where(
                    cases.c.status == CaseStatus.RESOLVED.value,
                    cases.c.resolved_at < sa.literal(moment, cases.c.resolved_at.type),
                )
                .order_by(cases.c.resolved_at, cases.c.id)
                .limit(limit)
            ).scalars()
        )

    def latest_open_of(self, customer_id: UUID | None, phone: str) -> Case | None:
        whose = (
            cases.c.customer_id == customer_id if customer_id else cases.c.contact_phone == phone
        )
        row = self.session.execute(
            sa.select(cases)
            .where(whose, cases.c.status.in_([status.value for status in OPEN]))
            .order_by(cases.c.created_at.desc(), cases.c.id.desc())
            .limit(1)
        ).first()
        return None if row is None else self._loaded_cases([row])[0]

    def find_by_mail(self, mail_ids: builtins.list[str]) -> Case | None:
        """The case a mail with one of these Message-IDs went to."""
        wanted = [mail_id for mail_id in mail_ids if mail_id]
        if not wanted:
            return None
        case_id = self.session.execute(
            sa.select(case_messages.c.case_id)
            .where(case_messages.c.mail_id.in_(wanted))
            .order_by(case_messages.c.created_at.desc())
            .limit(1)
        ).scalar()
        return None if case_id is None else self.get(case_id)

    def _clocks_of(self, case_ids: builtins.list[UUID]) -> dict[UUID, builtins.list[SlaClock]]:
        clocks: dict[UUID, builtins.list[SlaClock]] = defaultdict(list)
        if case_ids:
            rows = self.session.execute(
                sa.select(sla_clocks)
                .where(sla_clocks.c.case_id.in_(case_ids))
                .order_by(sla_clocks.c.case_id, sla_clocks.c.kind)
            )
            for row in rows:
                clocks[row.case_id].append(
                    SlaClock(
                        kind=ClockKind(row.kind),
                        target_minutes=row.target_minutes,
                        calendar=calendar_from_json(row.calendar),
                        agreement_id=row.agreement_id,
                        warned_at=row.warned_at,
                        breached_at=row.breached_at,
                    )
                )
        return clocks

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
                        "unknown_sender": message.unknown_sender,
                        "mail_id": message.mail_id,
                    }
                    for message in new
                ],
            )
            files = [
                {
                    "id": attachment.id,
                    "message_id": message.id,
                    "filename": attachment.filename,
                    "content_type": attachment.content_type,
                    "size": attachment.size,
                    "data": attachment.data,
                }
                for message in new
                for attachment in message.attachments
            ]
            if files:
                self.session.execute(sa.insert(case_attachments), files)


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
        "sla_pauses": pauses_to_json(case.pauses),
        "escalated_to": case.escalated_to,
    }


def _clock_values(case_id: UUID, clock: SlaClock) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "kind": clock.kind.value,
        "target_minutes": clock.target_minutes,
        "calendar": calendar_to_json(clock.calendar),
        "agreement_id": clock.agreement_id,
        "warned_at": clock.warned_at,
        "breached_at": clock.breached_at,
    }


def _case(row: Any, messages: list[CaseMessage], clocks: list[SlaClock]) -> Case:
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
        clocks=clocks,
        pauses=pauses_from_json(row.sla_pauses),
        escalated_to=row.escalated_to,
    )
