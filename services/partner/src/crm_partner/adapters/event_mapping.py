"""Domain events -> the protobuf events published on crm.events (crm.partner.v1.*)."""

from __future__ import annotations

from crm_proto.crm.common.v1 import common_pb2
from crm_proto.crm.partner.v1 import events_pb2
from google.protobuf.message import Message

from crm_partner.adapters.messages import (
    REGISTRATION_STATES,
    assignment_to_proto,
    campaign_to_proto,
    partner_to_proto,
    registration_to_proto,
)
from crm_partner.domain import assignments, campaigns, partners, registrations

# the events that carry nothing but the assignment after the step
_ASSIGNMENT_STEPS: dict[type, type[Message]] = {
    assignments.AssignmentOffered: events_pb2.AssignmentOffered,
    assignments.AssignmentAccepted: events_pb2.AssignmentAccepted,
    assignments.AssignmentUnplaced: events_pb2.AssignmentUnplaced,
    assignments.AssignmentWithdrawn: events_pb2.AssignmentWithdrawn,
    assignments.AssignmentCompleted: events_pb2.AssignmentCompleted,
}


def to_message(event: object, actor: common_pb2.Actor) -> Message:
    match event:
        case partners.PartnerRegistered(partner=view):
            return events_pb2.PartnerRegistered(
                partner=partner_to_proto(view, 0), version=view.version, actor=actor
            )
        case partners.PartnerUpdated(partner=view):
            return events_pb2.PartnerUpdated(
                partner=partner_to_proto(view, 0), version=view.version, actor=actor
            )
        case assignments.AssignmentDeclined(assignment=view):
            return events_pb2.AssignmentDeclined(
                assignment=assignment_to_proto(view),
                partner_id=str(event.partner_id),
                reason=event.reason,
                version=view.version,
                actor=actor,
            )
        case assignments.AssignmentExpired(assignment=view):
            return events_pb2.AssignmentExpired(
                assignment=assignment_to_proto(view),
                partner_id=str(event.partner_id),
                version=view.version,
                actor=actor,
            )
        case assignments.AssignmentEvent(assignment=view) if type(event) in _ASSIGNMENT_STEPS:
            message = _ASSIGNMENT_STEPS[type(event)]()
            message.assignment.CopyFrom(assignment_to_proto(view))  # type: ignore[attr-defined]
            message.version = view.version  # type: ignore[attr-defined]
            message.actor.CopyFrom(actor)  # type: ignore[attr-defined]
            return message
        case registrations.DealRegistrationChanged(registration=view):
            return events_pb2.DealRegistrationChanged(
                registration=registration_to_proto(view),
                from_state=REGISTRATION_STATES.to_proto(event.from_state),
                version=view.version,
                actor=actor,
            )
        case campaigns.CampaignSponsored(campaign=view):
            return events_pb2.CampaignSponsored(
                campaign=campaign_to_proto(view),
                partner_id=str(event.partner_id),
                share=str(event.share),
                version=view.version,
                actor=actor,
            )
    raise TypeError(f"no event message for {type(event).__name__}")
