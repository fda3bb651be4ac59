"""Event -> handler: the partner consumer's one table, from which its queue's bindings come.

- marketing's CampaignLaunched and CampaignCompleted keep the joint campaigns' name, status
  and actual cost (each sponsor's part of it), the newest campaign version winning;
- sales' LeadCreated of a sponsored campaign offers the lead to the campaign's main sponsor;
- sales' OrderStepTaken to delivered completes the order's accepted assignment (on time or
  late against its due date); OpportunityWon and OpportunityLost complete the opportunity's
  (and the lead's it was converted from) as won or lost, for the scorecards.
Each handler runs in the delivery's transaction, with the chassis' inbox dropping a redelivery.
"""

from __future__ import annotations

import functools
from uuid import UUID

from crm_platform import parsing
from crm_platform.clock import OffsetClock
from crm_platform.consumer import EventHandlers
from crm_platform.events import Event
from crm_proto.crm.marketing.v1 import events_pb2 as marketing_events
from crm_proto.crm.sales.v1 import events_pb2 as sales_events
from crm_proto.crm.sales.v1 import opportunities_pb2, sales_pb2

from crm_partner.adapters.geocoding import GeoNamesGeocoder
from crm_partner.adapters.messages import amount_from_proto
from crm_partner.adapters.unit_of_work import SqlUnitOfWork
from crm_partner.config import SERVICE_NAME, PartnerSettings
from crm_partner.domain.assignments import WorkKind, WorkOutcome
from crm_partner.domain.values import Actor, ActorKind, Place
from crm_partner.service_layer import campaigns
from crm_partner.service_layer.directory import located
from crm_partner.service_layer.outsourcing import AnswerTerms, OutsourcingHandlers

HANDLERS = EventHandlers[SqlUnitOfWork](SERVICE_NAME)
# the service acting on what other services' events say
ACTOR = Actor("partner-consumer", ActorKind.SERVICE)


@functools.cache
def _settings() -> PartnerSettings:
    return PartnerSettings.from_env(SERVICE_NAME)


@functools.cache
def _geocoder() -> GeoNamesGeocoder:
    return GeoNamesGeocoder()


def _outsourcing(uow: SqlUnitOfWork) -> OutsourcingHandlers:
    settings = _settings()
    return OutsourcingHandlers(
        lambda: uow,
        _geocoder(),
        AnswerTerms(settings.calendar(), settings.answer_minutes),
        OffsetClock(settings.clock_offset_file),
    )


def _campaign_launched(
    uow: SqlUnitOfWork, message: marketing_events.CampaignLaunched, event: Event
) -> None:
    campaigns.campaign_launched(uow, UUID(message.campaign_id), message.name, message.version)


def _campaign_completed(
    uow: SqlUnitOfWork, message: marketing_events.CampaignCompleted, event: Event
) -> None:
    cost = amount_from_proto(message.actual_cost, "actual_cost")
    campaigns.campaign_completed(
        uow, UUID(message.campaign_id), message.name, cost, message.version
    )


def _lead_created(uow: SqlUnitOfWork, message: sales_events.LeadCreated, event: Event) -> None:
    lead = message.lead
    try:
        campaign_id = UUID(lead.campaign_id)
    except ValueError:
        return  # not one of marketing's campaigns (a name typed by hand, or none)
    place = located(_geocoder(), Place(region=lead.contact.region, city=lead.contact.city))
    campaigns.route_lead(
        uow,
        _outsourcing(uow),
        ACTOR,
        lead_id=UUID(lead.id),
        campaign_id=campaign_id,
        customer_id=parsing.optional_uuid(lead.customer_id, "lead.customer_id"),
        place=place,
    )


def _order_step(uow: SqlUnitOfWork, message: sales_events.OrderStepTaken, event: Event) -> None:
    if message.to_state != sales_pb2.ORDER_STATE_DELIVERED:
        return
    _outsourcing(uow).delivered_in(uow, ACTOR, UUID(message.order.id), event.time)


def _opportunity_ended(
    uow: SqlUnitOfWork, opportunity: opportunities_pb2.Opportunity, outcome: WorkOutcome
) -> None:
    outsourcing = _outsourcing(uow)
    outsourcing.complete_in(uow, ACTOR, WorkKind.OPPORTUNITY, UUID(opportunity.id), outcome)
    if opportunity.lead_id:
        outsourcing.complete_in(uow, ACTOR, WorkKind.LEAD, UUID(opportunity.lead_id), outcome)


def _opportunity_won(
    uow: SqlUnitOfWork, message: sales_events.OpportunityWon, event: Event
) -> None:
    _opportunity_ended(uow, message.opportunity, WorkOutcome.WON)


def _opportunity_lost(
    uow: SqlUnitOfWork, message: sales_events.OpportunityLost, event: Event
) -> None:
    _opportunity_ended(uow, message.opportunity, WorkOutcome.LOST)


HANDLERS.on(marketing_events.CampaignLaunched, _campaign_launched)
HANDLERS.on(marketing_events.CampaignCompleted, _campaign_completed)
HANDLERS.on(sales_events.LeadCreated, _lead_created)
HANDLERS.on(sales_events.OrderStepTaken, _order_step)
HANDLERS.on(sales_events.OpportunityWon, _opportunity_won)
HANDLERS.on(sales_events.OpportunityLost, _opportunity_lost)
