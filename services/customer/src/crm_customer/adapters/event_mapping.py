"""Domain events -> the protobuf events published on crm.events (crm.customer.v1.*)."""

from __future__ import annotations

from crm_platform.parsing import timestamp
from crm_proto.crm.common.v1 import common_pb2
from crm_proto.crm.customer.v1 import events_pb2
from google.protobuf.message import Message

from crm_customer.adapters.messages import (
    CONSENT_CHANNELS,
    INTERACTION_CHANNELS,
    actor_to_proto,
    customer_to_proto,
    loyalty_entry_to_proto,
)
from crm_customer.domain import events
from crm_customer.domain.loyalty import PointsChanged


def to_message(event: events.DomainEvent, actor: common_pb2.Actor) -> Message:
    match event:
        case events.CustomerRegistered(customer=customer):
            return events_pb2.CustomerRegistered(
                customer=customer_to_proto(customer), version=customer.version, actor=actor
            )
        case events.CustomerUpdated(customer=customer, changed_fields=changed):
            return events_pb2.CustomerUpdated(
                customer=customer_to_proto(customer),
                changed_fields=list(changed),
                version=customer.version,
                actor=actor,
            )
        case events.CustomerMerged(survivor=survivor):
            return events_pb2.CustomerMerged(
                survivor=customer_to_proto(survivor),
                merged_id=str(event.merged_id),
                version=survivor.version,
                merged_version=event.merged_version,
                actor=actor,
            )
        case events.CustomerBlacklisted():
            return events_pb2.CustomerBlacklisted(
                customer_id=str(event.customer_id),
                reason=event.reason,
                version=event.version,
                actor=actor,
            )
        case events.CustomerUnblacklisted():
            return events_pb2.CustomerUnblacklisted(
                customer_id=str(event.customer_id),
                reason=event.reason,
                version=event.version,
                actor=actor,
            )
        case events.ConsentChanged():
            return events_pb2.ConsentChanged(
                customer_id=str(event.customer_id),
                channel=CONSENT_CHANNELS.to_proto(event.channel),
                granted=event.granted,
                version=event.version,
                actor=actor if event.requested_by is None else actor_to_proto(event.requested_by),
            )
        case events.InteractionLogged(interaction=interaction):
            return events_pb2.InteractionLogged(
                customer_id=str(interaction.customer_id),
                interaction_id=str(interaction.id),
                channel=INTERACTION_CHANNELS.to_proto(interaction.channel),
                summary=interaction.summary,
                occurred_at=timestamp(interaction.occurred_at),
                version=event.version,
                actor=actor,
            )
        case events.CustomerErased():
            return events_pb2.CustomerErased(
                customer_id=str(event.customer_id),
                erasure_id=str(event.erasure_id),
                erased_at=timestamp(event.erased_at),
                version=event.version,
                actor=actor,
            )
        case PointsChanged(entry=entry):
            return events_pb2.LoyaltyPointsChanged(
                customer_id=str(entry.customer_id),
                entry=loyalty_entry_to_proto(entry),
                version=event.version,
                actor=actor,
            )
