"""Mail the service sends a case's contact: an agent's reply the customer sees, and the
satisfaction survey of a resolved case. Queued in the transaction of the change that caused
it, claimed before it goes out, so a sender stopped at any point never sends one twice:

    queued -> sending -> sent
                      -> queued again (a temporary failure, after a backoff) -> ... -> failed
                      -> failed (refused for good)
                      -> unconfirmed (claimed by a sender that never said how it went)

A reply is threaded: its Message-ID is the case message's own, its subject quotes the case's
reference, and In-Reply-To and References name the thread's earlier mail, so the customer's
answer finds the case again (mail to case). Pure Python; times are UTC and passed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from crm_platform.errors import FailedPrecondition

from crm_service.domain.cases import Case, CaseMessage
from crm_service.domain.values import ActorKind

# mail clients show a long References header badly and some servers refuse one: the thread's
# first and latest mails are enough to find it
REFERENCES_KEPT = 10


class MailKind(StrEnum):
    REPLY = "reply"
    SURVEY = "survey"


class MailStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    UNCONFIRMED = "unconfirmed"


@dataclass
class OutboundMail:
    id: UUID
    case_id: UUID
    kind: MailKind
    to: str
    subject: str
    body: str
    mail_id: str  # its Message-ID
    in_reply_to: str  # "": it answers no mail
    references: tuple[str, ...]
    status: MailStatus
    attempts: int
    next_attempt_at: datetime
    claimed_at: datetime | None
    sent_at: datetime | None
    last_error: str
    created_at: datetime

    @classmethod
    def queue(
        cls,
        *,
        id: UUID,
        case_id: UUID,
        kind: MailKind,
        to: str,
        subject: str,
        body: str,
        mail_id: str,
        now: datetime,
        in_reply_to: str = "",
        references: tuple[str, ...] = (),
    ) -> OutboundMail:
        return cls(
            id=id,
            case_id=case_id,
            kind=kind,
            to=to,
            subject=subject,
            body=body,
            mail_id=mail_id,
            in_reply_to=in_reply_to,
            references=references,
            status=MailStatus.QUEUED,
            attempts=0,
            next_attempt_at=now,
            claimed_at=None,
            sent_at=None,
            last_error="",
            created_at=now,
        )

    def claim(self, now: datetime) -> None:
        if self.status is not MailStatus.QUEUED:
            raise FailedPrecondition(f"mail {self.id} is {self.status}")
        self.status, self.claimed_at = MailStatus.SENDING, now
        self.attempts += 1

    def sent(self, now: datetime) -> None:
        self.status, self.sent_at, self.last_error = MailStatus.SENT, now, ""

    def failed_temporarily(
        self, error: str, now: datetime, *, max_attempts: int, backoff: timedelta
    ) -> None:
        """Queued again after `backoff` doubled per attempt; failed after `max_attempts`."""
        self.last_error, self.claimed_at = error, None
        if self.attempts >= max_attempts:
            self.status = MailStatus.FAILED
            return
        self.status = MailStatus.QUEUED
        self.next_attempt_at = now + backoff * (2 ** (self.attempts - 1))

    def failed(self, error: str) -> None:
        self.status, self.last_error = MailStatus.FAILED, error

    def give_up_unconfirmed(self) -> None:
        """Claimed by a sender that never said how it went: perhaps sent, so not again."""
        self.status = MailStatus.UNCONFIRMED


def thread_subject(case: Case) -> str:
    """The subject of the service's mail on a case: its reference, which mail to case reads
    back from the customer's answer."""
    return f"Re: [#{case.reference}] {case.details.subject}"


def reply_mail(case: Case, message: CaseMessage, *, id: UUID, now: datetime) -> OutboundMail:
    """The mail of `message`, an agent's reply the customer sees, to the case's contact."""
    earlier = [m for m in case.messages if m.mail_id and m.id != message.id]
    answered = [m for m in earlier if m.author.kind is ActorKind.CUSTOMER]
    references = tuple(m.mail_id for m in earlier)
    if len(references) > REFERENCES_KEPT:
        references = (references[0], *references[-(REFERENCES_KEPT - 1) :])
    return OutboundMail.queue(
        id=id,
        case_id=case.id,
        kind=MailKind.REPLY,
        to=case.contact.email,
        subject=thread_subject(case),
        body=message.body,
        mail_id=message.mail_id,
        now=now,
        in_reply_to=answered[-1].mail_id if answered else "",
        references=references,
    )
