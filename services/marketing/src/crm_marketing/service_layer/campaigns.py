"""The campaign use cases: marketers plan, schedule, launch, complete and cancel campaigns and
preview their message for one customer; anyone holding a message's links opens, clicks
through and unsubscribes (`TrackingHandlers`).

Launching reads the audience outside the transaction (a segment's members come from the
analytics service), then makes the recipients and the state change in one transaction that
checks the campaign did not move meanwhile.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Protocol
from uuid import UUID

from crm_platform import paging
from crm_platform.errors import (
    Conflict,
    FailedPrecondition,
    FieldViolation,
    NotFound,
    ValidationFailed,
)
from crm_platform.paging import Page

from crm_marketing.domain import templates
from crm_marketing.domain.campaigns import (
    Campaign,
    CampaignChannel,
    CampaignState,
    CampaignTerms,
    Personalization,
    Recipient,
    RecipientStatus,
)
from crm_marketing.domain.contacts import Channel
from crm_marketing.domain.templates import Rendered
from crm_marketing.domain.values import Actor
from crm_marketing.service_layer import contacts
from crm_marketing.service_layer.ports import UnitOfWork


class SegmentMembers(Protocol):
    def members(self, segment_id: UUID) -> list[UUID]:
        """Every member of the segment now (Unavailable when analytics does not answer)."""
        ...


class LinkKind(StrEnum):
    OPEN = "o"
    CLICK = "c"
    UNSUBSCRIBE = "u"


@dataclass(frozen=True)
class LinkClaim:
    """What a signed link names."""

    kind: LinkKind
    campaign_id: UUID
    customer_id: UUID
    url: str = ""  # a click's destination


class Links(Protocol):
    """The signed tracking links of one recipient's message, and their reading."""

    def url(self, claim: LinkClaim) -> str: ...

    def mailto(self, claim: LinkClaim) -> str:
        """The mailto: address of the List-Unsubscribe header."""
        ...

    def read(self, token: str, kind: LinkKind) -> LinkClaim | None:
        """None for a token that is not ours, or not of `kind`."""
        ...


@dataclass(frozen=True)
class CampaignView:
    campaign: Campaign
    counts: dict[RecipientStatus, int]


def render_for(
    campaign: Campaign, person: Personalization, customer_id: UUID, links: Links
) -> Rendered:
    """The campaign's message for one recipient, its links tracked."""

    def claim(kind: LinkKind, url: str = "") -> LinkClaim:
        return LinkClaim(kind, campaign.id, customer_id, url)

    return templates.render(
        campaign.terms.template,
        person,
        unsubscribe_url=links.url(claim(LinkKind.UNSUBSCRIBE)),
        tracked_link=lambda url: links.url(claim(LinkKind.CLICK, url)),
        pixel_url=links.url(claim(LinkKind.OPEN)) if campaign.terms.track_opens else None,
    )


class CampaignHandlers:
    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        segments: SegmentMembers,
        links: Links,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.uow_factory = uow_factory
        self.segments = segments
        self.links = links
        self.clock = clock

    def create(self, actor: Actor, terms: CampaignTerms) -> CampaignView:
        campaign = Campaign.plan(uuid.uuid4(), terms, actor, self.clock())
        _check_template(campaign)
        with self.uow_factory() as uow:
            uow.campaigns.add(campaign)
            uow.commit()
        return CampaignView(campaign, {})

    def get(self, campaign_id: UUID) -> CampaignView:
        with self.uow_factory() as uow:
            campaign = _campaign(uow, campaign_id)
            return CampaignView(campaign, uow.recipients.counts(campaign_id))

    def list(self, *, page_size: int, page_token: str) -> Page[CampaignView]:
        limit = paging.page_size(page_size)
        after = paging.decode_cursor(page_token)
        with self.uow_factory() as uow:
            rows = [
                CampaignView(found, uow.recipients.counts(found.id))
                for found in uow.campaigns.list(after, limit + 1)
            ]
        return paging.page_of(
            rows, limit, lambda view: (view.campaign.created_at, view.campaign.id)
        )

    def update(
        self, actor: Actor, campaign_id: UUID, terms: CampaignTerms, expected_version: int
    ) -> CampaignView:
        def revise(uow: UnitOfWork, campaign: Campaign) -> None:
            campaign.revise(terms, actor, self.clock())
            _check_template(campaign)

        return self._change(campaign_id, expected_version, revise)

    def schedule(self, actor: Actor, campaign_id: UUID, expected_version: int) -> CampaignView:
        return self._change(
            campaign_id, expected_version, lambda uow, c: c.schedule(actor, self.clock())
        )

    def complete(self, actor: Actor, campaign_id: UUID, expected_version: int) -> CampaignView:
        return self._change(
            campaign_id, expected_version, lambda uow, c: c.complete(actor, self.clock())
        )

    def cancel(self, actor: Actor, campaign_id: UUID, expected_version: int) -> CampaignView:
        def cancel(uow: UnitOfWork, campaign: Campaign) -> None:
            now = self.clock()
            campaign.cancel(actor, now)
            for recipient in uow.recipients.queued_of(campaign.id):
                recipient.cancel(now)
                uow.recipients.save(recipient)

        return self._change(campaign_id, expected_version, cancel)

    def launch(self, actor: Actor, campaign_id: UUID, expected_version: int) -> CampaignView:
        with self.uow_factory() as uow:
            found = _campaign(uow, campaign_id)
        _expect(found, expected_version)
        if found.state is not CampaignState.SCHEDULED:
            raise FailedPrecondition(f"a {found.state} campaign cannot be launched")
        audience = found.terms.audience
        members = (
            self.segments.members(audience.segment_id)
            if audience.segment_id is not None
            else list(audience.customer_ids)
        )
        members = list(dict.fromkeys(members))

        def launch(uow: UnitOfWork, campaign: Campaign) -> None:
            now = self.clock()
            queued = 0
            if campaign.terms.channel is CampaignChannel.EMAIL:
                contacts = uow.contacts.many(members)
                invalid = uow.invalid_addresses.among(
                    contact.profile.email for contact in contacts.values()
                )
                recipients = [
                    Recipient.of(campaign.id, member, contacts.get(member), invalid, now)
                    for member in members
                ]
                uow.recipients.add_all(recipients)
                queued = sum(r.status is RecipientStatus.QUEUED for r in recipients)
            campaign.launch(len(members), queued, actor, now)

        # the campaign read again: a change since the first read is a Conflict
        return self._change(campaign_id, found.version, launch)

    def preview(self, campaign_id: UUID, customer_id: UUID) -> Rendered:
        with self.uow_factory() as uow:
            campaign = _campaign(uow, campaign_id)
            contact = uow.contacts.get(customer_id)
        if contact is None:
            raise NotFound(f"no contact {customer_id}")
        profile = contact.profile
        person = Personalization(profile.name, profile.email, profile.region, profile.city)
        return render_for(campaign, person, customer_id, self.links)

    def recipients(self, campaign_id: UUID, *, page_size: int, page_token: str) -> Page[Recipient]:
        limit = paging.page_size(page_size)
        after = _customer_key(page_token)
        with self.uow_factory() as uow:
            _campaign(uow, campaign_id)
            rows = uow.recipients.of_campaign(campaign_id, after, limit + 1)
        if len(rows) <= limit:
            return Page(rows, "")
        return Page(rows[:limit], paging.encode_token([str(rows[limit - 1].customer_id)]))

    def _change(
        self,
        campaign_id: UUID,
        expected_version: int,
        change: Callable[[UnitOfWork, Campaign], None],
    ) -> CampaignView:
        with self.uow_factory() as uow:
            campaign = _campaign(uow, campaign_id)
            _expect(campaign, expected_version)
            change(uow, campaign)
            uow.campaigns.save(campaign)
            uow.commit()
            return CampaignView(campaign, uow.recipients.counts(campaign_id))


def _customer_key(page_token: str) -> UUID | None:
    key = paging.decode_token(page_token)
    if key is None:
        return None
    try:
        return UUID(key[0])
    except (IndexError, TypeError, ValueError):
        raise ValidationFailed(
            FieldViolation("page.page_token", "is not a token this service issued")
        ) from None


def _check_template(campaign: Campaign) -> None:
    if not campaign.terms.template.is_empty:
        templates.check(campaign.terms.template)


def _expect(campaign: Campaign, expected_version: int) -> None:
    if expected_version and expected_version != campaign.version:
        raise Conflict(
            f"campaign {campaign.id} is at version {campaign.version}, not {expected_version}"
        )


def _campaign(uow: UnitOfWork, campaign_id: UUID) -> Campaign:
    found = uow.campaigns.get(campaign_id)
    if found is None:
        raise NotFound(f"no campaign {campaign_id}")
    return found


class TrackingHandlers:
    """What a message's links do. A token that is not ours, or names no recipient, is
    NotFound: nothing tells a prober more."""

    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        links: Links,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.uow_factory = uow_factory
        self.links = links
        self.clock = clock

    def opened(self, token: str) -> None:
        claim = self._claim(token, LinkKind.OPEN)
        with self.uow_factory() as uow:
            campaign, recipient = _recipient(uow, claim)
            if campaign.terms.track_opens and recipient.engaged(
                RecipientStatus.OPENED, self.clock()
            ):
                uow.recipients.save(recipient)
                uow.commit()

    def clicked(self, token: str) -> str:
        """Where the link goes: one of the campaign template's own links."""
        claim = self._claim(token, LinkKind.CLICK)
        with self.uow_factory() as uow:
            campaign, recipient = _recipient(uow, claim)
            if claim.url not in templates.links_of(campaign.terms.template):
                raise NotFound("no such link")
            if recipient.engaged(RecipientStatus.CLICKED, self.clock()):
                uow.recipients.save(recipient)
                uow.commit()
        return claim.url

    def unsubscribe_page(self, token: str) -> Recipient:
        claim = self._claim(token, LinkKind.UNSUBSCRIBE)
        with self.uow_factory() as uow:
            return _recipient(uow, claim)[1]

    def unsubscribe(self, token: str) -> Recipient:
        """The recipient unsubscribed, once (ContactUnsubscribed: the customer service
        withdraws the e-mail consent), and marketing's copy of the contact mails them no more
        from now on, before that consent change comes back."""
        claim = self._claim(token, LinkKind.UNSUBSCRIBE)
        with self.uow_factory() as uow:
            recipient = _recipient(uow, claim)[1]
            if recipient.engaged(RecipientStatus.UNSUBSCRIBED, self.clock()):
                uow.recipients.save(recipient)
                contacts.unsubscribe(uow, claim.customer_id, Channel.EMAIL)
                uow.commit()
        return recipient

    def _claim(self, token: str, kind: LinkKind) -> LinkClaim:
        claim = self.links.read(token, kind)
        if claim is None:
            raise NotFound("no such link")
        return claim


def _recipient(uow: UnitOfWork, claim: LinkClaim) -> tuple[Campaign, Recipient]:
    campaign = uow.campaigns.get(claim.campaign_id)
    recipient = uow.recipients.get(claim.campaign_id, claim.customer_id)
    if campaign is None or recipient is None:
        raise NotFound("no such link")
    return campaign, recipient
