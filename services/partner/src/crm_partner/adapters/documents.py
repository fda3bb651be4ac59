"""Aggregates <-> the JSON documents stored beside their columns (times as RFC 3339 UTC,
decimals as strings, ids as text)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from crm_partner.domain.assignments import (
    Assignment,
    AssignmentState,
    Offer,
    OfferAnswer,
    Work,
    WorkKind,
    WorkOutcome,
)
from crm_partner.domain.campaigns import CampaignStatus, JointCampaign
from crm_partner.domain.partners import Partner, Profile, Tier
from crm_partner.domain.registrations import Amount, DealRegistration, RegistrationState
from crm_partner.domain.values import Place

Document = dict[str, Any]


def _time(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _moment(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def place_document(place: Place) -> Document:
    return {
        "country_code": place.country_code,
        "region": place.region,
        "city": place.city,
        "coordinates": None if place.coordinates is None else list(place.coordinates),
    }


def place_of(document: Document) -> Place:
    coordinates = document.get("coordinates")
    return Place(
        document["country_code"],
        document["region"],
        document["city"],
        None if coordinates is None else (float(coordinates[0]), float(coordinates[1])),
    )


def amount_document(amount: Amount | None) -> Document | None:
    return None if amount is None else {"value": str(amount.value), "currency": amount.currency}


def amount_of(document: Document | None) -> Amount | None:
    return None if document is None else Amount(Decimal(document["value"]), document["currency"])


# -- partners -----------------------------------------------------------------------------------


def profile_document(profile: Profile) -> Document:
    return {
        "capabilities": list(profile.capabilities),
        "specialties": list(profile.specialties),
        "regions": list(profile.regions),
        "location": place_document(profile.location),
        "capacity": profile.capacity,
        "tier": profile.tier.value,
        "rating": str(profile.rating),
        "competitor": profile.competitor,
    }


def partner_of(row: Any) -> Partner:
    document = row.document
    profile = Profile(
        name=row.name,
        capabilities=tuple(document["capabilities"]),
        specialties=tuple(document["specialties"]),
        regions=tuple(document["regions"]),
        location=place_of(document["location"]),
        capacity=document["capacity"],
        tier=Tier(document["tier"]),
        rating=Decimal(document["rating"]),
        active=row.active,
        competitor=document["competitor"],
    )
    return Partner(row.id, profile, row.version, row.created_at, row.updated_at)


# -- assignments --------------------------------------------------------------------------------


def assignment_document(assignment: Assignment) -> Document:
    work = assignment.work
    return {
        "customer_id": None if work.customer_id is None else str(work.customer_id),
        "capabilities": list(work.capabilities),
        "place": place_document(work.place),
        "due_at": _time(work.due_at),
        "note": work.note,
        "outcome": None if assignment.outcome is None else assignment.outcome.value,
        "offers": [
            {
                "partner_id": str(offer.partner_id),
                "partner_name": offer.partner_name,
                "offered_at": _time(offer.offered_at),
                "deadline": _time(offer.deadline),
                "answer": offer.answer.value,
                "answered_at": _time(offer.answered_at),
                "reason": offer.reason,
            }
            for offer in assignment.offers
        ],
    }


def assignment_of(row: Any) -> Assignment:
    document = row.document
    customer_id = document["customer_id"]
    work = Work(
        WorkKind(row.work_kind),
        row.work_id,
        None if customer_id is None else UUID(customer_id),
        tuple(document["capabilities"]),
        place_of(document["place"]),
        _moment(document["due_at"]),
        document["note"],
    )
    offers = [
        Offer(
            UUID(offer["partner_id"]),
            offer["partner_name"],
            datetime.fromisoformat(offer["offered_at"]),
            datetime.fromisoformat(offer["deadline"]),
            OfferAnswer(offer["answer"]),
            _moment(offer["answered_at"]),
            offer["reason"],
        )
        for offer in document["offers"]
    ]
    outcome = document["outcome"]
    return Assignment(
        row.id,
        work,
        AssignmentState(row.state),
        offers,
        row.version,
        row.created_at,
        row.updated_at,
        None if outcome is None else WorkOutcome(outcome),
    )


# -- deal registrations -------------------------------------------------------------------------


def registration_document(registration: DealRegistration) -> Document:
    return {
        "title": registration.title,
        "amount": amount_document(registration.amount),
        "notes": registration.notes,
        "registered_by": registration.registered_by,
        "decided_by": registration.decided_by,
        "reason": registration.reason,
    }


def registration_of(row: Any) -> DealRegistration:
    document = row.document
    return DealRegistration(
        row.id, row.partner_id, row.customer_id, row.opportunity_id, document["title"],
        amount_of(document["amount"]), document["notes"], RegistrationState(row.state),
        document["registered_by"], document["decided_by"], document["reason"], row.version,
        row.created_at, row.updated_at,
    )  # fmt: skip


# -- joint campaigns ----------------------------------------------------------------------------


def campaign_document(campaign: JointCampaign) -> Document:
    return {
        "name": campaign.name,
        "status": campaign.status.value,
        "shares": {str(partner): str(share) for partner, share in campaign.shares.items()},
        "actual_cost": amount_document(campaign.actual_cost),
        "leads_routed": campaign.leads_routed,
        "marketing_version": campaign.marketing_version,
    }


def campaign_of(row: Any) -> JointCampaign:
    document = row.document
    return JointCampaign(
        row.campaign_id,
        document["name"],
        CampaignStatus(document["status"]),
        {UUID(partner): Decimal(share) for partner, share in document["shares"].items()},
        amount_of(document["actual_cost"]),
        document["leads_routed"],
        document["marketing_version"],
        row.version,
        row.updated_at,
    )
