"""Domain events -> the protobuf events published on crm.events (crm.marketing.v1.*)."""

from __future__ import annotations

from crm_platform.parsing import timestamp
from crm_proto.crm.common.v1 import common_pb2
from crm_proto.crm.marketing.v1 import events_pb2
from google.protobuf.message import Message

from crm_marketing.adapters.messages import money_to_proto
from crm_marketing.domain.campaigns import (
    CampaignCompleted,
    CampaignLaunched,
    ContactUnsubscribed,
)
from crm_marketing.domain.catalog import PriceListChanged, ProductChanged
from crm_marketing.domain.forms import FormField, LeadCaptured


def to_message(event: object, actor: common_pb2.Actor) -> Message:
    match event:
        case ProductChanged():
            return events_pb2.ProductChanged(
                product_id=str(event.subject_id),
                code=event.code,
                name=event.name,
                unit=event.unit,
                list_price=money_to_proto(event.list_price),
                active=event.active,
                version=event.version,
                actor=actor,
            )
        case PriceListChanged():
            return events_pb2.PriceListChanged(
                price_list_id=str(event.subject_id),
                name=event.name,
                currency=event.currency,
                active=event.active,
                rule_count=event.rule_count,
                version=event.version,
                actor=actor,
            )
        case LeadCaptured():
            return events_pb2.LeadCaptured(
                lead_id=str(event.subject_id),
                campaign_id="" if event.campaign_id is None else str(event.campaign_id),
                form_id=str(event.form_id),
                name=event.value(FormField.NAME),
                company=event.value(FormField.COMPANY),
                email=event.value(FormField.EMAIL),
                phone=event.value(FormField.PHONE),
                region=event.value(FormField.REGION),
                city=event.value(FormField.CITY),
                company_size=event.value(FormField.COMPANY_SIZE),
                consent_email=event.consent_email,
                consent_sms=event.consent_sms,
                consent_phone=event.consent_phone,
                captured_at=timestamp(event.captured_at),
                utm_source=event.utm.source,
                utm_medium=event.utm.medium,
                utm_campaign=event.utm.campaign,
                version=event.version,
                actor=actor,
            )
        case CampaignLaunched():
            return events_pb2.CampaignLaunched(
                campaign_id=str(event.subject_id),
                name=event.name,
                channel=event.channel.value,
                segment_id="" if event.segment_id is None else str(event.segment_id),
                audience_size=event.audience_size,
                queued=event.queued,
                launched_at=timestamp(event.launched_at),
                version=event.version,
                actor=actor,
            )
        case ContactUnsubscribed():
            return events_pb2.ContactUnsubscribed(
                customer_id=str(event.subject_id),
                campaign_id=str(event.campaign_id),
                unsubscribed_at=timestamp(event.unsubscribed_at),
                version=event.version,
                # whoever follows the link has no token: it is the customer's own act
                actor=common_pb2.Actor(
                    subject=str(event.subject_id), kind=common_pb2.ACTOR_KIND_CUSTOMER
                ),
            )
        case CampaignCompleted():
            completed = events_pb2.CampaignCompleted(
                campaign_id=str(event.subject_id),
                name=event.name,
                channel=event.channel.value,
                completed_at=timestamp(event.completed_at),
                version=event.version,
                actor=actor,
            )
            if event.actual_cost is not None:
                completed.actual_cost.CopyFrom(money_to_proto(event.actual_cost))
            return completed
    raise TypeError(f"no event message for {type(event).__name__}")
