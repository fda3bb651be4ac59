"""Domain values <-> protobuf messages of the customer contract (crm.customer.v1)."""

from __future__ import annotations

from crm_platform.enums import EnumCodec
from crm_platform.errors import ValidationFailed
from crm_platform.parsing import timestamp
from crm_proto.crm.common.v1 import common_pb2
from crm_proto.crm.customer.v1 import customer_pb2, loyalty_pb2

from crm_customer.domain.loyalty import EntryKind, LedgerEntry, Tier
from crm_customer.domain.model import Customer
from crm_customer.domain.values import (
    AcquisitionSource,
    Actor,
    ActorKind,
    ConsentChannel,
    CustomerState,
    Gender,
    Interaction,
    InteractionChannel,
    PartyKind,
    Recognition,
)

PARTY_KINDS = EnumCodec(PartyKind, customer_pb2.PartyKind)
GENDERS = EnumCodec(Gender, customer_pb2.Gender)
ACQUISITION_SOURCES = EnumCodec(AcquisitionSource, customer_pb2.AcquisitionSource)
CONSENT_CHANNELS = EnumCodec(ConsentChannel, customer_pb2.ConsentChannel)
INTERACTION_CHANNELS = EnumCodec(InteractionChannel, customer_pb2.InteractionChannel)
RECOGNITIONS = EnumCodec(Recognition, customer_pb2.Recognition)
ACTOR_KINDS = EnumCodec(ActorKind, common_pb2.ActorKind)
LOYALTY_TIERS = EnumCodec(Tier, loyalty_pb2.LoyaltyTier)
LOYALTY_ENTRY_KINDS = EnumCodec(EntryKind, loyalty_pb2.LoyaltyEntryKind)


def actor_to_proto(actor: Actor) -> common_pb2.Actor:
    return common_pb2.Actor(subject=actor.subject, kind=ACTOR_KINDS.to_proto(actor.kind))


def actor_from_proto(actor: common_pb2.Actor) -> Actor:
    """A kind this contract does not know is recorded as unspecified, not refused: the actor
    is who the verified token says, whatever the token's kind."""
    try:
        kind = ACTOR_KINDS.required(actor.kind, "actor.kind")
    except ValidationFailed:
        kind = ActorKind.UNSPECIFIED
    return Actor(actor.subject, kind)


def customer_to_proto(customer: Customer | CustomerState) -> customer_pb2.Customer:
    profile = customer.profile
    return customer_pb2.Customer(
        id=str(customer.id),
        kind=PARTY_KINDS.to_proto(profile.kind),
        name=profile.name,
        email=profile.email or "",
        phone=profile.phone or "",
        region=profile.region or "",
        city=profile.city or "",
        birth_date=profile.birth_date.isoformat() if profile.birth_date else "",
        gender=GENDERS.to_proto(profile.gender),
        tags=list(profile.tags),
        preferences=dict(profile.preferences),
        acquisition_source=ACQUISITION_SOURCES.to_proto(profile.acquisition_source),
        owner_id=str(profile.owner_id) if profile.owner_id else "",
        partner_id=str(profile.partner_id) if profile.partner_id else "",
        blacklisted=customer.blacklisted,
        blacklist_reason=customer.blacklist_reason or "",
        merged_into_id=str(customer.merged_into_id) if customer.merged_into_id else "",
        consents=[
            customer_pb2.Consent(
                channel=CONSENT_CHANNELS.to_proto(consent.channel),
                granted=consent.granted,
                updated_at=timestamp(consent.updated_at),
            )
            for consent in sorted(
                customer.consents.values(), key=lambda c: CONSENT_CHANNELS.to_proto(c.channel)
            )
        ],
        version=customer.version,
        created_at=timestamp(customer.created_at),
        updated_at=timestamp(customer.updated_at),
    )


def interaction_to_proto(interaction: Interaction) -> customer_pb2.Interaction:
    return customer_pb2.Interaction(
        id=str(interaction.id),
        customer_id=str(interaction.customer_id),
        channel=INTERACTION_CHANNELS.to_proto(interaction.channel),
        summary=interaction.summary,
        occurred_at=timestamp(interaction.occurred_at),
        actor=actor_to_proto(interaction.actor),
    )


def loyalty_entry_to_proto(entry: LedgerEntry) -> loyalty_pb2.LoyaltyEntry:
    return loyalty_pb2.LoyaltyEntry(
        id=str(entry.id),
        kind=LOYALTY_ENTRY_KINDS.to_proto(entry.kind),
        points=entry.points,
        balance=entry.balance,
        order_id=str(entry.order_id) if entry.order_id else "",
        occurred_at=timestamp(entry.occurred_at),
        expires_at=timestamp(entry.expires_at) if entry.expires_at else None,
    )
