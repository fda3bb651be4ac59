"""Campaigns and recipients <-> protobuf messages of crm.marketing.v1 (campaigns.proto)."""

from __future__ import annotations

from crm_platform import parsing
from crm_platform.enums import EnumCodec
from crm_platform.parsing import timestamp
from crm_proto.crm.common.v1 import common_pb2
from crm_proto.crm.marketing.v1 import campaigns_pb2

from crm_marketing.adapters.messages import money_to_proto
from crm_marketing.domain.campaigns import (
    Audience,
    CampaignChannel,
    CampaignState,
    CampaignTerms,
    Recipient,
    RecipientStatus,
    Template,
)
from crm_marketing.domain.templates import Rendered
from crm_marketing.domain.values import Money
from crm_marketing.service_layer.campaigns import CampaignView

C = campaigns_pb2
CHANNELS = EnumCodec(CampaignChannel, C.CampaignChannel)
STATES = EnumCodec(CampaignState, C.CampaignState)


def _status(status: RecipientStatus) -> C.RecipientStatus.ValueType:
    # a recipient a sender holds is still to be sent, as far as anyone reading knows
    shown = RecipientStatus.QUEUED if status is RecipientStatus.SENDING else status
    return C.RecipientStatus.Value(f"RECIPIENT_STATUS_{shown.name}")


def _money(message: common_pb2.Money, field: str) -> Money | None:
    if not message.amount and not message.currency_code:
        return None
    return Money.of(message.amount, message.currency_code, field)


def terms_of(message: C.CampaignInput) -> CampaignTerms:
    return CampaignTerms(
        name=message.name,
        channel=CHANNELS.required(message.channel, "campaign.channel"),
        budget=_money(message.budget, "campaign.budget"),
        planned_cost=_money(message.planned_cost, "campaign.planned_cost"),
        actual_cost=_money(message.actual_cost, "campaign.actual_cost"),
        starts_at=parsing.optional_time(message, "starts_at"),
        ends_at=parsing.optional_time(message, "ends_at"),
        owner_id=message.owner_id,
        audience=Audience(
            parsing.optional_uuid(message.segment_id, "campaign.segment_id"),
            tuple(
                parsing.uuid(customer, f"campaign.customer_ids[{index}]")
                for index, customer in enumerate(message.customer_ids)
            ),
        ),
        template=Template(
            message.template.subject, message.template.html_body, message.template.text_body
        ),
        informational=message.informational,
        track_opens=message.track_opens,
    )


def campaign_to_proto(view: CampaignView) -> C.Campaign:
    campaign, terms = view.campaign, view.campaign.terms
    counts = {_status(status): 0 for status in RecipientStatus}
    for status, count in view.counts.items():
        counts[_status(status)] += count
    message = C.Campaign(
        id=str(campaign.id),
        name=terms.name,
        channel=CHANNELS.to_proto(terms.channel),
        state=STATES.to_proto(campaign.state),
        owner_id=terms.owner_id,
        segment_id="" if terms.audience.segment_id is None else str(terms.audience.segment_id),
        customer_ids=[str(customer) for customer in terms.audience.customer_ids],
        template=C.Template(
            subject=terms.template.subject,
            html_body=terms.template.html_body,
            text_body=terms.template.text_body,
        ),
        informational=terms.informational,
        track_opens=terms.track_opens,
        recipients=C.RecipientCounts(
            **{
                status.value: counts[_status(status)]
                for status in RecipientStatus
                if status is not RecipientStatus.SENDING
            }
        ),
        version=campaign.version,
        created_at=timestamp(campaign.created_at),
        updated_at=timestamp(campaign.updated_at),
    )
    for name in ("budget", "planned_cost", "actual_cost"):
        money: Money | None = getattr(terms, name)
        if money is not None:
            getattr(message, name).CopyFrom(money_to_proto(money))
    for name in ("starts_at", "ends_at"):
        if (moment := getattr(terms, name)) is not None:
            getattr(message, name).CopyFrom(timestamp(moment))
    for name in ("launched_at", "completed_at"):
        if (moment := getattr(campaign, name)) is not None:
            getattr(message, name).CopyFrom(timestamp(moment))
    return message


def rendered_to_proto(rendered: Rendered) -> C.RenderedMessage:
    return C.RenderedMessage(
        subject=rendered.subject, html_body=rendered.html_body, text_body=rendered.text_body
    )


def recipient_to_proto(recipient: Recipient) -> C.Recipient:
    message = C.Recipient(
        campaign_id=str(recipient.campaign_id),
        customer_id=str(recipient.customer_id),
        email=recipient.email,
        status=_status(recipient.status),
        skip_reason="" if recipient.skip_reason is None else recipient.skip_reason.value,
        attempts=recipient.attempts,
        last_error=recipient.last_error,
        message_id=recipient.message_id,
        updated_at=timestamp(recipient.updated_at),
    )
    if recipient.sent_at is not None:
        message.sent_at.CopyFrom(timestamp(recipient.sent_at))
    return message
