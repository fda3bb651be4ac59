"""Campaigns and their recipients. Pure Python; times passed in.

A campaign moves draft -> scheduled -> running -> completed, or to cancelled from any state
but completed; any other step is FailedPrecondition. Launching reads the audience (a segment's
members or a static list) and, for e-mail, makes one recipient per member: queued when the
contact copy says they may be mailed, else skipped with the reason. An e-mail campaign
completes by itself when no recipient is left to send.

A recipient is claimed before its message goes out (`claim`), in a transaction of its own: a
sender that stops between the claim and the answer leaves it claimed, and a claim older than
the lease is given up as `unconfirmed` (skipped), never sent again.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from crm_platform.errors import FailedPrecondition, FieldViolation, ValidationFailed

from crm_marketing.domain.contacts import Channel, Contact
from crm_marketing.domain.values import Actor, Money, checked_text, require_marketing_staff

NAME_MAX_LENGTH = 200
OWNER_MAX_LENGTH = 200


class CampaignChannel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    LETTER = "letter"
    CALL_LIST = "call_list"
    EVENT = "event"


class CampaignState(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    RUNNING = "running"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Template:
    """Jinja2 sources (see templates.py)."""

    subject: str = ""
    html_body: str = ""
    text_body: str = ""

    @property
    def is_empty(self) -> bool:
        return not (self.subject or self.html_body or self.text_body)


@dataclass(frozen=True)
class Audience:
    """An analytics segment's members, or a list of customers."""

    segment_id: UUID | None = None
    customer_ids: tuple[UUID, ...] = ()

    @property
    def is_empty(self) -> bool:
        return self.segment_id is None and not self.customer_ids


@dataclass(frozen=True)
class CampaignTerms:
    """What a marketer says a campaign is."""

    name: str
    channel: CampaignChannel
    budget: Money | None = None
    planned_cost: Money | None = None
    actual_cost: Money | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    owner_id: str = ""
    audience: Audience = Audience()
    template: Template = Template()
    informational: bool = False
    track_opens: bool = True

    def checked(self, actor: Actor) -> CampaignTerms:
        violations: list[FieldViolation] = []
        name = owner = ""
        try:
            name = checked_text(self.name, "campaign.name", NAME_MAX_LENGTH, required=True)
        except ValidationFailed as exc:
            violations.extend(exc.violations)
        try:
            owner = checked_text(self.owner_id, "campaign.owner_id", OWNER_MAX_LENGTH)
        except ValidationFailed as exc:
            violations.extend(exc.violations)
        currencies = {
            money.currency
            for money in (self.budget, self.planned_cost, self.actual_cost)
            if money is not None
        }
        if len(currencies) > 1:
            violations.append(
                FieldViolation("campaign.planned_cost", "must be in the budget's currency")
            )
        if self.starts_at and self.ends_at and self.ends_at < self.starts_at:
            violations.append(FieldViolation("campaign.ends_at", "must not be before starts_at"))
        if self.audience.segment_id is not None and self.audience.customer_ids:
            violations.append(
                FieldViolation(
                    "campaign.customer_ids", "give a segment_id or customer ids, not both"
                )
            )
        if violations:
            raise ValidationFailed(violations)
        audience = Audience(
            self.audience.segment_id, tuple(dict.fromkeys(self.audience.customer_ids))
        )
        return CampaignTerms(
            name=name,
            channel=self.channel,
            budget=self.budget,
            planned_cost=self.planned_cost,
            actual_cost=self.actual_cost,
            starts_at=self.starts_at,
            ends_at=self.ends_at,
            owner_id=owner or actor.subject,
            audience=audience,
            template=self.template,
            informational=self.informational,
            track_opens=self.track_opens,
        )


@dataclass
class Campaign:
    id: UUID
    terms: CampaignTerms
    state: CampaignState
    version: int
    created_at: datetime
    updated_at: datetime
    launched_at: datetime | None = None
    completed_at: datetime | None = None
    _events: list[object] = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def plan(cls, id: UUID, terms: CampaignTerms, actor: Actor, now: datetime) -> Campaign:
        require_marketing_staff(actor, "plan campaigns")
        return cls(id, terms.checked(actor), CampaignState.DRAFT, 1, now, now)

    def revise(self, terms: CampaignTerms, actor: Actor, now: datetime) -> None:
        """Anything while draft or scheduled; once launched, the actual cost only (what it
        came to is known later)."""
        require_marketing_staff(actor, "change campaigns")
        self._require(
            CampaignState.DRAFT, CampaignState.SCHEDULED, CampaignState.RUNNING,
            CampaignState.COMPLETED, doing="changed",
        )  # fmt: skip
        checked = terms.checked(actor)
        launched = self.state in (CampaignState.RUNNING, CampaignState.COMPLETED)
        if launched and replace(checked, actual_cost=self.terms.actual_cost) != self.terms:
            raise FailedPrecondition(f"a {self.state} campaign's actual cost only may change")
        self.terms = checked
        self._changed(now)

    def schedule(self, actor: Actor, now: datetime) -> None:
        require_marketing_staff(actor, "schedule campaigns")
        self._require(CampaignState.DRAFT, doing="scheduled")
        if self.terms.audience.is_empty:
            raise FailedPrecondition(f"campaign {self.id} has no audience")
        if self.terms.channel is CampaignChannel.EMAIL:
            template = self.terms.template
            if not template.subject.strip() or not (template.html_body or template.text_body):
                raise FailedPrecondition(
                    f"campaign {self.id} needs a subject and a body to be sent by e-mail"
                )
        self.state = CampaignState.SCHEDULED
        self._changed(now)

    def launch(self, audience_size: int, queued: int, actor: Actor, now: datetime) -> None:
        require_marketing_staff(actor, "launch campaigns")
        self._require(CampaignState.SCHEDULED, doing="launched")
        self.state = CampaignState.RUNNING
        self.launched_at = now
        self._changed(now)
        self._events.append(CampaignLaunched.of(self, audience_size, queued, actor))
        if self.terms.channel is CampaignChannel.EMAIL and queued == 0:
            self.finish(actor, now)

    def complete(self, actor: Actor, now: datetime) -> None:
        """By hand: the channels marketing does not send itself."""
        require_marketing_staff(actor, "complete campaigns")
        self._require(CampaignState.RUNNING, doing="completed")
        if self.terms.channel is CampaignChannel.EMAIL:
            raise FailedPrecondition(
                f"campaign {self.id} completes once every recipient has been sent"
            )
        self.finish(actor, now)

    def finish(self, actor: Actor, now: datetime) -> None:
        """Every recipient done (the sender), or completed by hand."""
        self._require(CampaignState.RUNNING, doing="completed")
        self.state = CampaignState.COMPLETED
        self.completed_at = now
        self._changed(now)
        self._events.append(CampaignCompleted.of(self, actor))

    def cancel(self, actor: Actor, now: datetime) -> None:
        require_marketing_staff(actor, "cancel campaigns")
        self._require(
            CampaignState.DRAFT, CampaignState.SCHEDULED, CampaignState.RUNNING, doing="cancelled"
        )
        self.state = CampaignState.CANCELLED
        self._changed(now)

    def _require(self, *states: CampaignState, doing: str) -> None:
        if self.state not in states:
            raise FailedPrecondition(f"a {self.state} campaign cannot be {doing}")

    def _changed(self, now: datetime) -> None:
        self.version += 1
        self.updated_at = now

    def pull_events(self) -> list[object]:
        pulled, self._events = self._events, []
        return pulled


@dataclass(frozen=True)
class CampaignLaunched:
    subject_id: UUID
    version: int
    actor: Actor
    name: str
    channel: CampaignChannel
    segment_id: UUID | None
    audience_size: int
    queued: int
    launched_at: datetime

    @classmethod
    def of(
        cls, campaign: Campaign, audience_size: int, queued: int, actor: Actor
    ) -> CampaignLaunched:
        assert campaign.launched_at is not None
        return cls(
            campaign.id, campaign.version, actor, campaign.terms.name, campaign.terms.channel,
            campaign.terms.audience.segment_id, audience_size, queued, campaign.launched_at,
        )  # fmt: skip


@dataclass(frozen=True)
class ContactUnsubscribed:
    """A recipient unsubscribed through their message: once (a recipient's status only moves
    on), so its version is 1; its actor is the customer."""

    subject_id: UUID  # the customer
    campaign_id: UUID
    unsubscribed_at: datetime
    version: int = 1


@dataclass(frozen=True)
class CampaignCompleted:
    subject_id: UUID
    version: int
    actor: Actor
    name: str
    channel: CampaignChannel
    actual_cost: Money | None
    completed_at: datetime

    @classmethod
    def of(cls, campaign: Campaign, actor: Actor) -> CampaignCompleted:
        assert campaign.completed_at is not None
        return cls(
            campaign.id, campaign.version, actor, campaign.terms.name, campaign.terms.channel,
            campaign.terms.actual_cost, campaign.completed_at,
        )  # fmt: skip


# -- recipients ---------------------------------------------------------------------------


class RecipientStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"  # claimed by a sender; shown as queued
    SENT = "sent"
    BOUNCED = "bounced"
    OPENED = "opened"
    CLICKED = "clicked"
    UNSUBSCRIBED = "unsubscribed"
    SKIPPED = "skipped"


class SkipReason(StrEnum):
    NO_CONTACT = "no_contact"  # not (yet) in the contact copy
    MERGED = "merged"
    NO_CONSENT = "no_consent"
    BLACKLISTED = "blacklisted"
    NO_EMAIL = "no_email"
    INVALID_ADDRESS = "invalid_address"  # a permanent bounce before
    CANCELLED = "cancelled"
    UNCONFIRMED = "unconfirmed"  # its sender stopped mid-send: not sent again


# what a tracking event may move a recipient on from; the order of engagement
_ENGAGEMENT = (
    RecipientStatus.SENT, RecipientStatus.OPENED, RecipientStatus.CLICKED,
    RecipientStatus.UNSUBSCRIBED,
)  # fmt: skip
DONE = frozenset(set(RecipientStatus) - {RecipientStatus.QUEUED, RecipientStatus.SENDING})


@dataclass(frozen=True)
class Personalization:
    """What a message is personalized with, copied from the contact at launch."""

    name: str = ""
    email: str = ""
    region: str = ""
    city: str = ""


@dataclass
class Recipient:
    campaign_id: UUID
    customer_id: UUID
    email: str
    personalization: Personalization
    status: RecipientStatus
    skip_reason: SkipReason | None
    updated_at: datetime
    attempts: int = 0
    next_attempt_at: datetime | None = None
    claimed_at: datetime | None = None
    message_id: str = ""
    last_error: str = ""
    sent_at: datetime | None = None
    _events: list[object] = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def of(
        cls,
        campaign_id: UUID,
        customer_id: UUID,
        contact: Contact | None,
        invalid_addresses: frozenset[str],
        now: datetime,
    ) -> Recipient:
        """Queued when the contact may be mailed, else skipped with the first reason."""
        reason: SkipReason | None = None
        email = ""
        personalization = Personalization()
        if contact is None:
            reason = SkipReason.NO_CONTACT
        else:
            profile = contact.profile
            email = profile.email
            personalization = Personalization(profile.name, profile.email, profile.region,
                                              profile.city)  # fmt: skip
            if contact.merged_into_id is not None:
                reason = SkipReason.MERGED
            elif contact.blacklisted.value:
                reason = SkipReason.BLACKLISTED
            elif not contact.consents_to(Channel.EMAIL):
                reason = SkipReason.NO_CONSENT
            elif not email:
                reason = SkipReason.NO_EMAIL
            elif email.lower() in invalid_addresses:
                reason = SkipReason.INVALID_ADDRESS
        status = RecipientStatus.QUEUED if reason is None else RecipientStatus.SKIPPED
        return cls(campaign_id, customer_id, email, personalization, status, reason, now,
                   next_attempt_at=now if reason is None else None)  # fmt: skip

    @property
    def is_done(self) -> bool:
        return self.status in DONE

    def claim(self, message_id: str, now: datetime) -> None:
        if self.status is not RecipientStatus.QUEUED:
            raise FailedPrecondition(f"recipient {self.customer_id} is {self.status}")
        self.status, self.claimed_at, self.updated_at = RecipientStatus.SENDING, now, now
        self.attempts += 1
        self.message_id = message_id

    def sent(self, now: datetime) -> None:
        self.status, self.sent_at, self.updated_at = RecipientStatus.SENT, now, now
        self.last_error = ""

    def failed_temporarily(
        self, error: str, now: datetime, *, max_attempts: int, backoff: timedelta
    ) -> None:
        """Queued again after `backoff` doubled per attempt; bounced after `max_attempts`."""
        self.last_error, self.updated_at, self.claimed_at = error, now, None
        if self.attempts >= max_attempts:
            self.status = RecipientStatus.BOUNCED
            return
        self.status = RecipientStatus.QUEUED
        self.next_attempt_at = now + backoff * (2 ** (self.attempts - 1))

    def bounced(self, error: str, now: datetime) -> None:
        self.status, self.last_error, self.updated_at = RecipientStatus.BOUNCED, error, now

    def give_up_unconfirmed(self, now: datetime) -> None:
        """Claimed by a sender that never said how it went: perhaps sent, so not again."""
        self.status, self.skip_reason = RecipientStatus.SKIPPED, SkipReason.UNCONFIRMED
        self.updated_at = now

    def cancel(self, now: datetime) -> None:
        if self.status is RecipientStatus.QUEUED:
            self.status, self.skip_reason = RecipientStatus.SKIPPED, SkipReason.CANCELLED
            self.updated_at = now

    def engaged(self, status: RecipientStatus, now: datetime) -> bool:
        """Opened, clicked or unsubscribed: only ever further along; whether it moved. An
        unsubscription is an event: the customer service withdraws the e-mail consent."""
        if self.status not in _ENGAGEMENT:
            return False
        if _ENGAGEMENT.index(status) <= _ENGAGEMENT.index(self.status):
            return False
        self.status, self.updated_at = status, now
        if status is RecipientStatus.UNSUBSCRIBED:
            self._events.append(ContactUnsubscribed(self.customer_id, self.campaign_id, now))
        return True

    def pull_events(self) -> list[object]:
        events, self._events = self._events, []
        return events
