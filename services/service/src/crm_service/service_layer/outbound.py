"""Mail to a case's contact: queued in the unit of work of the change that causes it (an
agent's reply the customer sees), so none is lost when the change commits and none leaves for
a change that rolled back; the sender role then hands each to the SMTP server, claimed in a
transaction of its own first, so a sender stopped at any point never sends one twice:

- sent: the SMTP server accepted it;
- a temporary failure (4xx, the server unreachable) queues it again after a backoff that
  doubles per attempt, until `max_attempts`, then it failed;
- a permanent failure (5xx) or a message that cannot be made: failed;
- a claim older than `lease` was a sender's that stopped before it knew how the send went:
  perhaps sent, so it is given up (unconfirmed), never sent again.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial

from crm_platform.mail import Mailer, Outgoing, PermanentFailure, TemporaryFailure, Unsendable

from crm_service.domain.cases import Case, CaseMessage
from crm_service.domain.outbound import MailKind, OutboundMail, reply_mail
from crm_service.service_layer.ports import SurveyLinks, UnitOfWork
from crm_service.service_layer.surveys import survey_resolved

log = logging.getLogger(__name__)


class Outbound:
    """Queues the mail of a change in its unit of work; `new_mail_id` makes Message-IDs,
    `links` the surveys' signed links (None: no surveys are made)."""

    def __init__(self, new_mail_id: Callable[[], str], links: SurveyLinks | None = None) -> None:
        self.new_mail_id = new_mail_id
        self.links = links

    def reply(self, uow: UnitOfWork, case: Case, message: CaseMessage) -> None:
        if message.mail_id:
            uow.outbound.add(reply_mail(case, message, id=uuid.uuid4(), now=message.created_at))

    def resolved(self, uow: UnitOfWork, case: Case, now: datetime) -> None:
        """A case just resolved: its satisfaction survey, mailed."""
        if self.links is not None:
            survey_resolved(uow, case, self.links, self.new_mail_id, now)


@dataclass(frozen=True)
class SendPolicy:
    max_attempts: int = 5
    backoff: timedelta = timedelta(seconds=30)  # before the second attempt; doubles after
    lease: timedelta = timedelta(minutes=10)  # longer than any one send takes


class MailSender:
    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        mailer: Mailer,
        policy: SendPolicy = SendPolicy(),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.uow_factory = uow_factory
        self.mailer = mailer
        self.policy = policy
        self.clock = clock

    def send_next(self) -> bool:
        """Send one due mail; False when none is due."""
        claimed = self._claim()
        if claimed is None:
            return False
        outcome: Callable[[OutboundMail, datetime], None]
        try:
            self.mailer.send(outgoing(claimed))
        except TemporaryFailure as failure:
            outcome = partial(_retry, error=str(failure), policy=self.policy)
        except (PermanentFailure, Unsendable) as failure:
            log.warning("mail %s to case %s failed: %s", claimed.id, claimed.case_id, failure)
            outcome = partial(_failed, error=str(failure))
        else:
            outcome = _sent
        self._record(claimed, outcome)
        return True

    def give_up_stale_claims(self) -> int:
        """Claims older than the lease given up; how many."""
        now = self.clock()
        with self.uow_factory() as uow:
            stale = uow.outbound.claimed_before(now - self.policy.lease)
            for mail in stale:
                mail.give_up_unconfirmed()
                uow.outbound.save(mail)
            uow.commit()
        return len(stale)

    def _claim(self) -> OutboundMail | None:
        with self.uow_factory() as uow:
            for mail in uow.outbound.due(self.clock(), 1):
                mail.claim(self.clock())
                uow.outbound.save(mail)
                uow.commit()
                return mail
        return None

    def _record(
        self, claimed: OutboundMail, outcome: Callable[[OutboundMail, datetime], None]
    ) -> None:
        with self.uow_factory() as uow:
            mail = uow.outbound.get(claimed.id)
            assert mail is not None
            outcome(mail, self.clock())
            uow.outbound.save(mail)
            uow.commit()


def _sent(mail: OutboundMail, now: datetime) -> None:
    mail.sent(now)


def _retry(mail: OutboundMail, now: datetime, *, error: str, policy: SendPolicy) -> None:
    mail.failed_temporarily(error, now, max_attempts=policy.max_attempts, backoff=policy.backoff)


def _failed(mail: OutboundMail, now: datetime, *, error: str) -> None:
    mail.failed(error)


def outgoing(mail: OutboundMail) -> Outgoing:
    headers = {"X-Case-Id": str(mail.case_id)}
    if mail.kind is MailKind.SURVEY:  # RFC 3834: no vacation reply to a machine's mail
        headers["Auto-Submitted"] = "auto-generated"
    if mail.in_reply_to:
        headers["In-Reply-To"] = mail.in_reply_to
    if mail.references:
        headers["References"] = " ".join(mail.references)
    return Outgoing(
        to=mail.to,
        subject=mail.subject,
        html_body="",
        text_body=mail.body,
        message_id=mail.mail_id,
        headers=headers,
    )
