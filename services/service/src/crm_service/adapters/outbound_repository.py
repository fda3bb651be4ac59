"""The queue of mail the service sends (outbound_mail)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.orm import Session

from crm_service.adapters.orm import outbound_mail as M
from crm_service.domain.outbound import MailKind, MailStatus, OutboundMail


class SqlOutboundMailbox:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, mail: OutboundMail) -> None:
        self.session.execute(sa.insert(M).values(_values(mail)))

    def get(self, mail_id: UUID) -> OutboundMail | None:
        row = self.session.execute(sa.select(M).where(M.c.id == mail_id)).first()
        return None if row is None else _mail_of(row)

    def save(self, mail: OutboundMail) -> None:
        self.session.execute(sa.update(M).where(M.c.id == mail.id).values(_values(mail)))

    def due(self, now: datetime, limit: int) -> list[OutboundMail]:
        statement = (
            sa.select(M)
            .where(M.c.status == MailStatus.QUEUED.value, M.c.next_attempt_at <= now)
            .order_by(M.c.next_attempt_at, M.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [_mail_of(row) for row in self.session.execute(statement)]

    def claimed_before(self, moment: datetime) -> list[OutboundMail]:
        statement = (
            sa.select(M)
            .where(M.c.status == MailStatus.SENDING.value, M.c.claimed_at < moment)
            .with_for_update(skip_locked=True)
        )
        return [_mail_of(row) for row in self.session.execute(statement)]

    def of_case(self, case_id: UUID) -> list[OutboundMail]:
        statement = sa.select(M).where(M.c.case_id == case_id).order_by(M.c.created_at, M.c.id)
        return [_mail_of(row) for row in self.session.execute(statement)]


def _values(mail: OutboundMail) -> dict[str, Any]:
    return {
        "id": mail.id,
        "case_id": mail.case_id,
        "kind": mail.kind.value,
        "recipient": mail.to,
        "subject": mail.subject,
        "body": mail.body,
        "mail_id": mail.mail_id,
        "in_reply_to": mail.in_reply_to,
        "mail_references": list(mail.references),
        "status": mail.status.value,
        "attempts": mail.attempts,
        "next_attempt_at": mail.next_attempt_at,
        "claimed_at": mail.claimed_at,
        "sent_at": mail.sent_at,
        "last_error": mail.last_error,
        "created_at": mail.created_at,
    }


def _mail_of(row: Any) -> OutboundMail:
    return OutboundMail(
        id=row.id,
        case_id=row.case_id,
        kind=MailKind(row.kind),
        to=row.recipient,
        subject=row.subject,
        body=row.body,
        mail_id=row.mail_id,
        in_reply_to=row.in_reply_to,
        references=tuple(row.mail_references),
        status=MailStatus(row.status),
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        claimed_at=row.claimed_at,
        sent_at=row.sent_at,
        last_error=row.last_error,
        created_at=row.created_at,
    )
