"""Domain values <-> protobuf messages of the customer contract (crm.customer.v1)."""

from __future__ import annotations

from datetime import datetime

from crm_proto.crm.common.v1 import common_pb2
from crm_proto.crm.customer.v1 import customer_pb2
from google.protobuf.timestamp_pb2 import Timestamp

from crm_customer.domain.model import (
    AcquisitionSource,
    Actor,
    ActorKind,
    ConsentChannel,
    Customer,
    Gender,
    Interaction,
    InteractionChannel,
    PartyKind,
    Recognition,
)

PARTY_KINDS: dict[PartyKind, customer_pb2.PartyKind.ValueType] = {
    PartyKind.PERSON: customer_pb2.PARTY_KIND_PERSON,
    PartyKind.ORGANIZATION: customer_pb2.PARTY_KIND_ORGANIZATION,
}
GENDERS: dict[Gender, customer_pb2.Gender.ValueType] = {
    Gender.FEMALE: customer_pb2.GENDER_FEMALE,
    Gender.MALE: customer_pb2.GENDER_MALE,
    Gender.OTHER: customer_pb2.GENDER_OTHER,
}
ACQUISITION_SOURCES: dict[AcquisitionSource, customer_pb2.AcquisitionSource.ValueType] = {
    AcquisitionSource.WEB: customer_pb2.ACQUISITION_SOURCE_WEB,
    AcquisitionSource.PHONE: customer_pb2.ACQUISITION_SOURCE_PHONE,
    AcquisitionSource.SALES_REP: customer_pb2.ACQUISITION_SOURCE_SALES_REP,
    AcquisitionSource.DISTRIBUTOR: customer_pb2.ACQUISITION_SOURCE_DISTRIBUTOR,
    AcquisitionSource.PARTNER: customer_pb2.ACQUISITION_SOURCE_PARTNER,
    AcquisitionSource.CAMPAIGN: customer_pb2.ACQUISITION_SOURCE_CAMPAIGN,
    AcquisitionSource.PORTAL: customer_pb2.ACQUISITION_SOURCE_PORTAL,
}
CONSENT_CHANNELS: dict[ConsentChannel, customer_pb2.ConsentChannel.ValueType] = {
    ConsentChannel.EMAIL: customer_pb2.CONSENT_CHANNEL_EMAIL,
    ConsentChannel.SMS: customer_pb2.CONSENT_CHANNEL_SMS,
    ConsentChannel.PHONE: customer_pb2.CONSENT_CHANNEL_PHONE,
    ConsentChannel.POST: customer_pb2.CONSENT_CHANNEL_POST,
}
INTERACTION_CHANNELS: dict[InteractionChannel, customer_pb2.InteractionChannel.ValueType] = {
    InteractionChannel.EMAIL: customer_pb2.INTERACTION_CHANNEL_EMAIL,
    InteractionChannel.PHONE: customer_pb2.INTERACTION_CHANNEL_PHONE,
    InteractionChannel.SMS: customer_pb2.INTERACTION_CHANNEL_SMS,
    InteractionChannel.MEETING: customer_pb2.INTERACTION_CHANNEL_MEETING,
    InteractionChannel.PORTAL: customer_pb2.INTERACTION_CHANNEL_PORTAL,
    InteractionChannel.WEB: customer_pb2.INTERACTION_CHANNEL_WEB,
    InteractionChannel.CHAT: customer_pb2.INTERACTION_CHANNEL_CHAT,
    InteractionChannel.POST: customer_pb2.INTERACTION_CHANNEL_POST,
}
RECOGNITIONS: dict[Recognition, customer_pb2.Recognition.ValueType] = {
    Recognition.NEW: customer_pb2.RECOGNITION_NEW,
    Recognition.RETURNING: customer_pb2.RECOGNITION_RETURNING,
    Recognition.BLACKLISTED: customer_pb2.RECOGNITION_BLACKLISTED,
}
ACTOR_KINDS: dict[ActorKind, common_pb2.ActorKind.ValueType] = {
    ActorKind.UNSPECIFIED: common_pb2.ACTOR_KIND_UNSPECIFIED,
    ActorKind.STAFF: common_pb2.ACTOR_KIND_STAFF,
    ActorKind.CUSTOMER: common_pb2.ACTOR_KIND_CUSTOMER,
    ActorKind.PARTNER: common_pb2.ACTOR_KIND_PARTNER,
    ActorKind.SERVICE: common_pb2.ACTOR_KIND_SERVICE,
    ActorKind.SYSTEM: common_pb2.ACTOR_KIND_SYSTEM,
}
_ACTOR_KINDS_FROM_PROTO = {value: kind for kind, value in ACTOR_KINDS.items()}


def timestamp(moment: datetime) -> Timestamp:
    message = Timestamp()
    message.FromDatetime(moment)
    return message


def actor_to_proto(actor: Actor) -> common_pb2.Actor:
    return common_pb2.Actor(subject=actor.subject, kind=ACTOR_KINDS[actor.kind])


def actor_from_proto(actor: common_pb2.Actor) -> Actor:
    return Actor(actor.subject, _ACTOR_KINDS_FROM_PROTO.get(actor.kind, ActorKind.UNSPECIFIED))


def customer_to_proto(customer: Customer) -> customer_pb2.Customer:
    profile = customer.profile
    return customer_pb2.Customer(
        id=str(customer.id),
        kind=PARTY_KINDS[profile.kind],
        name=profile.name,
        email=profile.email or "",
        phone=profile.phone or "",
        region=profile.region or "",
        city=profile.city or "",
        birth_date=profile.birth_date.isoformat() if profile.birth_date else "",
        gender=GENDERS[profile.gender] if profile.gender else customer_pb2.GENDER_UNSPECIFIED,
        tags=list(profile.tags),
        preferences=dict(profile.preferences),
        acquisition_source=(
            ACQUISITION_SOURCES[profile.acquisition_source]
            if profile.acquisition_source
            else customer_pb2.ACQUISITION_SOURCE_UNSPECIFIED
        ),
        owner_id=str(profile.owner_id) if profile.owner_id else "",
        partner_id=str(profile.partner_id) if profile.partner_id else "",
        blacklisted=customer.blacklisted,
        blacklist_reason=customer.blacklist_reason or "",
        merged_into_id=str(customer.merged_into_id) if customer.merged_into_id else "",
        consents=[
            customer_pb2.Consent(
                channel=CONSENT_CHANNELS[consent.channel],
                granted=consent.granted,
                updated_at=timestamp(consent.updated_at),
            )
            for consent in sorted(
                customer.consents.values(), key=lambda c: CONSENT_CHANNELS[c.channel]
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
        channel=INTERACTION_CHANNELS[interaction.channel],
        summary=interaction.summary,
        occurred_at=timestamp(interaction.occurred_at),
        actor=actor_to_proto(interaction.actor),
    )
