"""Opportunities <-> protobuf messages of crm.sales.v1 (opportunities.proto, events.proto)."""

from __future__ import annotations

from decimal import Decimal

from crm_platform.enums import EnumCodec
from crm_platform.parsing import timestamp
from crm_proto.crm.common.v1 import common_pb2
from crm_proto.crm.sales.v1 import events_pb2, opportunities_pb2
from google.protobuf.message import Message

from crm_sales.adapters.messages import money_to_proto
from crm_sales.domain import opportunities as domain
from crm_sales.service_layer.opportunities import BoardColumn, Total, WeightedPipeline

STAGES = EnumCodec(domain.OpportunityStage, opportunities_pb2.OpportunityStage)
STATUSES = EnumCodec(domain.OpportunityStatus, opportunities_pb2.OpportunityStatus)
LOST_REASONS = EnumCodec(domain.LostReason, opportunities_pb2.LostReason)
CONTACT_ROLES = EnumCodec(domain.ContactRole, opportunities_pb2.ContactRole)
THREATS = EnumCodec(domain.ThreatLevel, opportunities_pb2.ThreatLevel)


def opportunity_to_proto(opportunity: domain.Opportunity) -> opportunities_pb2.Opportunity:
    loss = opportunity.loss
    message = opportunities_pb2.Opportunity(
        id=str(opportunity.id),
        title=opportunity.title,
        customer_id=str(opportunity.customer_id),
        owner_id=opportunity.owner_id or "",
        team_id=_id(opportunity.team_id),
        partner_id=_id(opportunity.partner_id),
        lead_id=_id(opportunity.lead_id),
        stage=STAGES.to_proto(opportunity.stage),
        status=STATUSES.to_proto(opportunity.status),
        expected_close=_date(opportunity.expected_close),
        probability=str(opportunity.probability),
        probability_overridden=opportunity.probability_overridden,
        source=opportunity.source,
        region=opportunity.region,
        tags=sorted(opportunity.tags),
        contacts=[
            opportunities_pb2.OpportunityContact(
                name=c.name, email=c.email, phone=c.phone, role=CONTACT_ROLES.to_proto(c.role)
            )
            for c in opportunity.contacts
        ],
        competitors=[
            opportunities_pb2.Competitor(
                name=c.name, notes=c.notes, threat=THREATS.to_proto(c.threat)
            )
            for c in opportunity.competitors
        ],
        lost_reason=LOST_REASONS.to_proto(loss.reason)
        if loss
        else opportunities_pb2.LOST_REASON_UNSPECIFIED,
        lost_note=loss.note if loss else "",
        lost_competitor=loss.competitor if loss else "",
        version=opportunity.version,
        created_at=timestamp(opportunity.created_at),
        updated_at=timestamp(opportunity.updated_at),
    )
    if opportunity.amount is not None:
        message.amount.CopyFrom(money_to_proto(opportunity.amount))
    if opportunity.closed_at is not None:
        message.closed_at.CopyFrom(timestamp(opportunity.closed_at))
    return message


def snapshot_to_proto(snapshot: domain.OpportunitySnapshot) -> opportunities_pb2.Opportunity:
    message = opportunities_pb2.Opportunity(
        id=str(snapshot.id),
        title=snapshot.title,
        customer_id=str(snapshot.customer_id),
        owner_id=snapshot.owner_id or "",
        team_id=_id(snapshot.team_id),
        partner_id=_id(snapshot.partner_id),
        lead_id=_id(snapshot.lead_id),
        stage=STAGES.to_proto(snapshot.stage),
        status=STATUSES.to_proto(snapshot.status),
        expected_close=_date(snapshot.expected_close),
        probability=str(snapshot.probability),
        version=snapshot.version,
        created_at=timestamp(snapshot.created_at),
        updated_at=timestamp(snapshot.updated_at),
    )
    if snapshot.amount is not None:
        message.amount.CopyFrom(money_to_proto(snapshot.amount))
    if snapshot.closed_at is not None:
        message.closed_at.CopyFrom(timestamp(snapshot.closed_at))
    return message


def contacts_from_proto(
    messages: list[opportunities_pb2.OpportunityContact],
) -> list[domain.Contact]:
    return [
        domain.Contact(
            name=m.name,
            email=m.email,
            phone=m.phone,
            role=CONTACT_ROLES.required(m.role, f"contacts[{index}].role"),
        )
        for index, m in enumerate(messages)
    ]


def competitors_from_proto(
    messages: list[opportunities_pb2.Competitor],
) -> list[domain.Competitor]:
    return [
        domain.Competitor(
            name=m.name,
            notes=m.notes,
            threat=THREATS.required(m.threat, f"competitors[{index}].threat"),
        )
        for index, m in enumerate(messages)
    ]


def board_to_proto(columns: list[BoardColumn]) -> opportunities_pb2.PipelineBoard:
    return opportunities_pb2.PipelineBoard(
        columns=[
            opportunities_pb2.PipelineColumn(
                stage=STAGES.to_proto(column.stage),
                count=column.count,
                totals=[_total(t) for t in column.totals],
                cards=[
                    opportunities_pb2.PipelineCard(
                        id=str(card.id),
                        title=card.title,
                        amount=None if card.amount is None else money_to_proto(card.amount),
                        owner_id=card.owner_id or "",
                        expected_close=_date(card.expected_close),
                        probability=str(card.probability.quantize(Decimal("0.01"))),
                    )
                    for card in column.cards
                ],
            )
            for column in columns
        ]
    )


def weighted_to_proto(pipeline: WeightedPipeline) -> opportunities_pb2.WeightedPipeline:
    return opportunities_pb2.WeightedPipeline(
        stages=[
            opportunities_pb2.WeightedStage(
                stage=STAGES.to_proto(stage.stage),
                count=stage.count,
                weighted=[_total(t) for t in stage.weighted],
            )
            for stage in pipeline.stages
        ],
        totals=[_total(t) for t in pipeline.totals],
    )


def event_message(event: domain.OpportunityEvent, actor: common_pb2.Actor) -> Message:
    opportunity, version = snapshot_to_proto(event.opportunity), event.version
    match event:
        case domain.OpportunityOpened():
            return events_pb2.OpportunityOpened(
                opportunity=opportunity, version=version, actor=actor
            )
        case domain.OpportunityUpdated():
            return events_pb2.OpportunityUpdated(
                opportunity=opportunity, version=version, actor=actor
            )
        case domain.OpportunityAssigned():
            return events_pb2.OpportunityAssigned(
                opportunity=opportunity,
                previous_owner_id=event.previous_owner_id or "",
                previous_partner_id=_id(event.previous_partner_id),
                version=version,
                actor=actor,
            )
        case domain.OpportunityStageChanged():
            return events_pb2.OpportunityStageChanged(
                opportunity=opportunity,
                from_stage=STAGES.to_proto(event.from_stage),
                to_stage=STAGES.to_proto(event.to_stage),
                version=version,
                actor=actor,
            )
        case domain.OpportunityWon():
            return events_pb2.OpportunityWon(opportunity=opportunity, version=version, actor=actor)
        case domain.OpportunityLost():
            return events_pb2.OpportunityLost(
                opportunity=opportunity,
                reason=LOST_REASONS.to_proto(event.reason),
                note=event.note,
                competitor=event.competitor,
                version=version,
                actor=actor,
            )
        case domain.OpportunityRestored():
            return events_pb2.OpportunityRestored(
                opportunity=opportunity,
                to_stage=STAGES.to_proto(event.to_stage),
                version=version,
                actor=actor,
            )
    raise TypeError(f"no event message for {type(event).__name__}")


def _total(total: Total) -> common_pb2.Money:
    return common_pb2.Money(currency_code=total.currency, amount=str(total.amount))


def _id(value: object | None) -> str:
    return "" if value is None else str(value)


def _date(value: object | None) -> str:
    return "" if value is None else value.isoformat()  # type: ignore[attr-defined]
