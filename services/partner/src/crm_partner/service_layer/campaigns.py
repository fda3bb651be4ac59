"""Joint campaigns' handlers: staff name a campaign's co-sponsors; marketing's events say when
it launched and what it cost; sales' leads of the campaign are offered to its main sponsor
(through outsourcing, so the sponsor answers them like any other work)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from uuid import UUID

from crm_platform.errors import DomainError, FieldViolation, NotFound, ValidationFailed

from crm_partner.domain.assignments import Work, WorkKind
from crm_partner.domain.campaigns import JointCampaign
from crm_partner.domain.registrations import Amount
from crm_partner.domain.values import Actor, Place
from crm_partner.service_layer.outsourcing import OutsourcingHandlers
from crm_partner.service_layer.ports import UnitOfWork

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


class CampaignHandlers:
    def __init__(
        self, uow_factory: Callable[[], UnitOfWork], clock: Clock = lambda: datetime.now(UTC)
    ) -> None:
        self.uow_factory = uow_factory
        self.clock = clock

    def sponsor(
        self, actor: Actor, campaign_id: UUID, partner_id: UUID, share: str
    ) -> JointCampaign:
        now = self.clock()
        with self.uow_factory() as uow:
            if uow.partners.get(partner_id) is None:
                raise ValidationFailed(FieldViolation("partner_id", f"no partner {partner_id}"))
            campaign = uow.campaigns.get(campaign_id)
            if campaign is None:
                campaign = JointCampaign.known(campaign_id, now)
                campaign.sponsor(actor, now, partner_id, share)
                uow.campaigns.add(campaign)
            else:
                campaign.sponsor(actor, now, partner_id, share)
                uow.campaigns.save(campaign)
            uow.commit()
        return campaign

    def get(self, campaign_id: UUID) -> JointCampaign:
        with self.uow_factory() as uow:
            campaign = uow.campaigns.get(campaign_id)
        if campaign is None:
            raise NotFound(f"no joint campaign {campaign_id}")
        return campaign


def campaign_launched(uow: UnitOfWork, campaign_id: UUID, name: str, version: int) -> None:
    """Marketing launched a campaign: kept only when a partner sponsors it (now or later)."""
    now = datetime.now(UTC)
    campaign = uow.campaigns.get(campaign_id)
    if campaign is None:
        campaign = JointCampaign.known(campaign_id, now)
        campaign.launched(name, version, now)
        uow.campaigns.add(campaign)
    else:
        campaign.launched(name, version, now)
        uow.campaigns.save(campaign)


def campaign_completed(
    uow: UnitOfWork, campaign_id: UUID, name: str, cost: Amount | None, version: int
) -> None:
    now = datetime.now(UTC)
    campaign = uow.campaigns.get(campaign_id)
    if campaign is None:
        campaign = JointCampaign.known(campaign_id, now)
        campaign.completed(name, cost, version, now)
        uow.campaigns.add(campaign)
    else:
        campaign.completed(name, cost, version, now)
        uow.campaigns.save(campaign)


def route_lead(
    uow: UnitOfWork,
    outsourcing: OutsourcingHandlers,
    actor: Actor,
    *,
    lead_id: UUID,
    campaign_id: UUID,
    customer_id: UUID | None,
    place: Place,
) -> None:
    """A lead of a sponsored campaign is offered to the campaign's main sponsor. A sponsor that
    cannot take it now (inactive, full) leaves the lead with sales, as any other lead."""
    campaign = uow.campaigns.get(campaign_id)
    sponsor = None if campaign is None else campaign.main_sponsor
    if campaign is None or sponsor is None:
        return
    work = Work(WorkKind.LEAD, lead_id, customer_id, (), place, None, "")
    try:
        with uow.savepoint():
            outsourcing.outsource_in(uow, actor, datetime.now(UTC), work, sponsor)
    except DomainError as exc:
        log.info("lead %s of campaign %s stays with sales: %s", lead_id, campaign_id, exc)
        return
    campaign.lead_routed(datetime.now(UTC))
    uow.campaigns.save(campaign)
