"""The sender: one queued recipient at a time, claimed in a transaction of its own before its
message goes out, so that a sender stopped at any point never sends anyone twice.

- sent: the SMTP server accepted the message;
- a temporary failure (4xx, or the server unreachable) queues it again after a backoff that
  doubles per attempt, until `max_attempts`, then it is bounced;
- a permanent failure (5xx) bounces it and marks the address invalid: no campaign sends to
  it again;
- a claim older than `lease` was a sender's that stopped before it knew how the send went:
  perhaps sent, so it is given up (skipped, `unconfirmed`), never sent again.

When no recipient of a running e-mail campaign is left to send, it completes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from uuid import UUID

from crm_platform.errors import Conflict, DomainError, FailedPrecondition
from crm_platform.mail import Mailer, Outgoing, PermanentFailure, TemporaryFailure, Unsendable

from crm_marketing.domain.campaigns import Campaign, CampaignState, Recipient
from crm_marketing.domain.values import Actor, ActorKind
from crm_marketing.service_layer.campaigns import LinkClaim, LinkKind, Links, render_for
from crm_marketing.service_layer.ports import UnitOfWork

SENDER = Actor("marketing-sender", ActorKind.SYSTEM)


@dataclass(frozen=True)
class SendPolicy:
    max_attempts: int = 5
    backoff: timedelta = timedelta(seconds=30)  # before the second attempt; doubles after
    lease: timedelta = timedelta(minutes=10)  # longer than any one send takes


class Sender:
    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        mailer: Mailer,
        links: Links,
        new_message_id: Callable[[], str],
        policy: SendPolicy = SendPolicy(),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.uow_factory = uow_factory
        self.mailer = mailer
        self.links = links
        self.new_message_id = new_message_id
        self.policy = policy
        self.clock = clock

    def send_next(self) -> bool:
        """Send one due recipient's message; False when none is due."""
        claimed = self._claim()
        if claimed is None:
            return False
        campaign, recipient = claimed
        outcome: Callable[[UnitOfWork, Recipient, datetime], None]
        try:
            self.mailer.send(self._message(campaign, recipient))
        except TemporaryFailure as failure:
            outcome = partial(_retry, error=str(failure), policy=self.policy)
        except PermanentFailure as failure:
            outcome = partial(_bounce, error=str(failure), invalid=True)
        except (DomainError, Unsendable) as unusable:  # a message that cannot be made
            outcome = partial(_bounce, error=str(unusable), invalid=False)
        else:
            outcome = _sent
        self._record(recipient, outcome)
        return True

    def give_up_stale_claims(self) -> int:
        """Claims older than the lease given up; how many."""
        now = self.clock()
        with self.uow_factory() as uow:
            stale = uow.recipients.claimed_before(now - self.policy.lease)
            for recipient in stale:
                recipient.give_up_unconfirmed(now)
                uow.recipients.save(recipient)
            uow.commit()
        for campaign_id in {recipient.campaign_id for recipient in stale}:
            self._complete_if_done(campaign_id)
        return len(stale)

    def _claim(self) -> tuple[Campaign, Recipient] | None:
        now = self.clock()
        with self.uow_factory() as uow:
            for recipient in uow.recipients.due(now, 1):
                campaign = uow.campaigns.get(recipient.campaign_id)
                if campaign is None or campaign.state is not CampaignState.RUNNING:
                    recipient.cancel(now)
                    uow.recipients.save(recipient)
                    uow.commit()
                    return None
                recipient.claim(self.new_message_id(), now)
                uow.recipients.save(recipient)
                uow.commit()
                return campaign, recipient
        return None

    def _message(self, campaign: Campaign, recipient: Recipient) -> Outgoing:
        rendered = render_for(campaign, recipient.personalization, recipient.customer_id,
                              self.links)  # fmt: skip
        unsubscribe = LinkClaim(LinkKind.UNSUBSCRIBE, campaign.id, recipient.customer_id)
        headers = {
            # RFC 8058: a one-click POST to the https link unsubscribes; mailto for the rest
            "List-Unsubscribe": f"<{self.links.url(unsubscribe)}>, "
            f"<{self.links.mailto(unsubscribe)}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "X-Campaign-Id": str(campaign.id),
            # service notices are told apart from promotion by filters and people alike
            "X-Message-Kind": "informational" if campaign.terms.informational else "promotional",
        }
        if not campaign.terms.informational:
            headers["Precedence"] = "bulk"
        return Outgoing(
            to=recipient.email,
            subject=rendered.subject,
            html_body=rendered.html_body,
            text_body=rendered.text_body,
            message_id=recipient.message_id,
            headers=headers,
        )

    def _record(
        self, claimed: Recipient, outcome: Callable[[UnitOfWork, Recipient, datetime], None]
    ) -> None:
        now = self.clock()
        with self.uow_factory() as uow:
            recipient = uow.recipients.get(claimed.campaign_id, claimed.customer_id)
            assert recipient is not None
            outcome(uow, recipient, now)
            uow.recipients.save(recipient)
            uow.commit()
        if recipient.is_done:
            self._complete_if_done(recipient.campaign_id)

    def _complete_if_done(self, campaign_id: UUID) -> None:
        try:
            with self.uow_factory() as uow:
                campaign = uow.campaigns.get(campaign_id)
                if (
                    campaign is None
                    or campaign.state is not CampaignState.RUNNING
                    or uow.recipients.pending(campaign_id)
                ):
                    return
                campaign.finish(SENDER, self.clock())
                uow.campaigns.save(campaign)
                uow.commit()
        except (Conflict, FailedPrecondition):
            return  # another sender completed it first


def _sent(uow: UnitOfWork, recipient: Recipient, now: datetime) -> None:
    recipient.sent(now)


def _retry(
    uow: UnitOfWork, recipient: Recipient, now: datetime, *, error: str, policy: SendPolicy
) -> None:
    recipient.failed_temporarily(
        error, now, max_attempts=policy.max_attempts, backoff=policy.backoff
    )


def _bounce(
    uow: UnitOfWork, recipient: Recipient, now: datetime, *, error: str, invalid: bool
) -> None:
    recipient.bounced(error, now)
    if invalid:  # the address itself is refused: nothing is sent to it again
        uow.invalid_addresses.mark(
            recipient.email, error, recipient.campaign_id, recipient.customer_id, now
        )
