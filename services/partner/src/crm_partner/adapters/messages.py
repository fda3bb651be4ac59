"""The partner service's messages: domain values <-> crm.partner.v1 protobuf (money and ratings
as decimal strings, times as Timestamps)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from crm_platform.enums import EnumCodec
from crm_platform.errors import FieldViolation, ValidationFailed
from crm_platform.parsing import timestamp
from crm_proto.crm.common.v1 import common_pb2
from crm_proto.crm.partner.v1 import partner_pb2

from crm_partner.domain.assignments import (
    Assignment,
    AssignmentState,
    AssignmentView,
    OfferAnswer,
    WorkKind,
    WorkOutcome,
)
from crm_partner.domain.campaigns import CampaignStatus, CampaignView, JointCampaign
from crm_partner.domain.partners import PartnerView, Tier
from crm_partner.domain.registrations import Amount, RegistrationState, RegistrationView
from crm_partner.domain.scorecards import Scorecard
from crm_partner.domain.suggestions import Load, Suggestion
from crm_partner.domain.values import ActorKind, Place

ACTOR_KINDS = EnumCodec(ActorKind, common_pb2.ActorKind)
TIERS = EnumCodec(Tier, partner_pb2.PartnerTier)
WORK_KINDS = EnumCodec(WorkKind, partner_pb2.WorkKind)
ASSIGNMENT_STATES = EnumCodec(AssignmentState, partner_pb2.AssignmentState)
OFFER_ANSWERS = EnumCodec(OfferAnswer, partner_pb2.OfferAnswer)
OUTCOMES = EnumCodec(WorkOutcome, partner_pb2.WorkOutcome)
REGISTRATION_STATES = EnumCodec(RegistrationState, partner_pb2.RegistrationState)
CAMPAIGN_STATUSES = EnumCodec(CampaignStatus, partner_pb2.CampaignStatus)


def place_from_proto(message: partner_pb2.Place) -> Place:
    return Place(message.country_code.strip().upper(), message.region.strip(), message.city.strip())


def place_to_proto(place: Place) -> partner_pb2.Place:
    message = partner_pb2.Place(
        country_code=place.country_code, region=place.region, city=place.city
    )
    if place.coordinates is not None:
        message.latitude, message.longitude = place.coordinates
        message.located = True
    return message


def amount_from_proto(message: common_pb2.Money, field: str) -> Amount | None:
    if not message.amount and not message.currency_code:
        return None
    violations = []
    try:
        value = Decimal(message.amount)
    except InvalidOperation:
        value = Decimal(-1)
    if not value.is_finite() or value < 0:
        violations.append(FieldViolation(f"{field}.amount", "must be a decimal, 0 or more"))
    currency = message.currency_code.strip().upper()
    if len(currency) != 3 or not currency.isalpha():
        violations.append(FieldViolation(f"{field}.currency_code", "must be an ISO 4217 code"))
    if violations:
        raise ValidationFailed(violations)
    return Amount(value.quantize(Decimal("0.01")), currency)


def amount_to_proto(amount: Amount) -> common_pb2.Money:
    return common_pb2.Money(currency_code=amount.currency, amount=str(amount.value))


def partner_to_proto(view: PartnerView, open_assignments: int) -> partner_pb2.Partner:
    profile = view.profile
    return partner_pb2.Partner(
        id=str(view.id),
        name=profile.name,
        capabilities=profile.capabilities,
        specialties=profile.specialties,
        regions=profile.regions,
        location=place_to_proto(profile.location),
        capacity=profile.capacity,
        open_assignments=open_assignments,
        tier=TIERS.to_proto(profile.tier),
        rating=str(profile.rating),
        active=profile.active,
        competitor=profile.competitor,
        version=view.version,
        created_at=timestamp(view.created_at),
        updated_at=timestamp(view.updated_at),
    )


def load_to_proto(load: Load) -> partner_pb2.Partner:
    return partner_to_proto(load.partner.view(), load.open_assignments)


def suggestion_to_proto(suggestion: Suggestion) -> partner_pb2.Suggestion:
    return partner_pb2.Suggestion(
        partner=load_to_proto(suggestion.load),
        score=suggestion.score,
        capability_match=suggestion.capability_match,
        distance_km=-1 if suggestion.distance_km is None else round(suggestion.distance_km, 1),
        free_capacity=suggestion.load.free_capacity,
    )


def assignment_to_proto(assignment: Assignment | AssignmentView) -> partner_pb2.Assignment:
    view = assignment.view() if isinstance(assignment, Assignment) else assignment
    work, current = view.work, view.current
    message = partner_pb2.Assignment(
        id=str(view.id),
        work_kind=WORK_KINDS.to_proto(work.kind),
        work_id=str(work.work_id),
        customer_id=str(work.customer_id or ""),
        capabilities=work.capabilities,
        place=place_to_proto(work.place),
        state=ASSIGNMENT_STATES.to_proto(view.state),
        partner_id="" if current is None else str(current.partner_id),
        partner_name="" if current is None else current.partner_name,
        note=work.note,
        version=view.version,
        created_at=timestamp(view.created_at),
        updated_at=timestamp(view.updated_at),
        outcome=OUTCOMES.to_proto(view.outcome),
    )
    if work.due_at is not None:
        message.due_at.CopyFrom(timestamp(work.due_at))
    for offer in view.offers:
        item = message.offers.add(
            partner_id=str(offer.partner_id),
            partner_name=offer.partner_name,
            offered_at=timestamp(offer.offered_at),
            deadline=timestamp(offer.deadline),
            answer=OFFER_ANSWERS.to_proto(offer.answer),
            reason=offer.reason,
        )
        if offer.answered_at is not None:
            item.answered_at.CopyFrom(timestamp(offer.answered_at))
    return message


def registration_to_proto(view: RegistrationView) -> partner_pb2.DealRegistration:
    message = partner_pb2.DealRegistration(
        id=str(view.id),
        partner_id=str(view.partner_id),
        customer_id=str(view.customer_id),
        opportunity_id=str(view.opportunity_id or ""),
        title=view.title,
        notes=view.notes,
        state=REGISTRATION_STATES.to_proto(view.state),
        registered_by=view.registered_by,
        decided_by=view.decided_by,
        reason=view.reason,
        version=view.version,
        created_at=timestamp(view.created_at),
        updated_at=timestamp(view.updated_at),
    )
    if view.amount is not None:
        message.amount.CopyFrom(amount_to_proto(view.amount))
    return message


def campaign_to_proto(campaign: JointCampaign | CampaignView) -> partner_pb2.JointCampaign:
    view = campaign.view() if isinstance(campaign, JointCampaign) else campaign
    message = partner_pb2.JointCampaign(
        campaign_id=str(view.campaign_id),
        name=view.name,
        status=CAMPAIGN_STATUSES.to_proto(view.status),
        leads_routed=view.leads_routed,
        version=view.version,
        updated_at=timestamp(view.updated_at),
    )
    for partner_id, share in view.shares:
        sponsor = message.sponsors.add(partner_id=str(partner_id), share=str(share))
        if view.actual_cost is not None:
            cost = (view.actual_cost.value * share).quantize(Decimal("0.01"))
            sponsor.cost.CopyFrom(amount_to_proto(Amount(cost, view.actual_cost.currency)))
    if view.actual_cost is not None:
        message.actual_cost.CopyFrom(amount_to_proto(view.actual_cost))
    return message


def scorecard_to_proto(card: Scorecard) -> partner_pb2.Scorecard:
    return partner_pb2.Scorecard(
        partner_id=str(card.partner_id),
        offers=card.offers,
        accepted=card.accepted,
        declined=card.declined,
        expired=card.expired,
        acceptance_rate=card.acceptance_rate,
        mean_acceptance_seconds=card.mean_acceptance_seconds,
        won=card.won,
        lost=card.lost,
        win_rate=card.win_rate,
        delivered=card.delivered,
        delivered_on_time=card.delivered_on_time,
        on_time_rate=card.on_time_rate,
        csat_responses=card.csat_responses,
        mean_csat=card.mean_csat,
    )
