"""Domain events -> the protobuf events published on crm.events (crm.analytics.v1.*)."""

from __future__ import annotations

from crm_proto.crm.analytics.v1 import events_pb2
from crm_proto.crm.common.v1 import common_pb2
from google.protobuf.message import Message

from crm_analytics.adapters.messages import actor_to_proto, segment_to_proto
from crm_analytics.domain.rule_segments import (
    MembershipChanged,
    SegmentCreated,
    SegmentDeleted,
    SegmentUpdated,
)


def to_message(event: object, actor: common_pb2.Actor) -> tuple[Message, str]:
    """The event and its subject (the segment's id; a membership's: the customer's)."""
    match event:
        case SegmentCreated(segment=segment):
            message: Message = events_pb2.SegmentCreated(
                segment=segment_to_proto(segment), version=segment.version, actor=actor
            )
            return message, str(segment.id)
        case SegmentUpdated(segment=segment, changed_fields=changed):
            message = events_pb2.SegmentUpdated(
                segment=segment_to_proto(segment),
                changed_fields=changed,
                version=segment.version,
                actor=actor,
            )
            return message, str(segment.id)
        case SegmentDeleted(segment_id=segment_id, version=version):
            message = events_pb2.SegmentDeleted(
                segment_id=str(segment_id), version=version, actor=actor
            )
            return message, str(segment_id)
        case MembershipChanged():
            message = events_pb2.SegmentMembershipChanged(
                segment_id=str(event.segment_id),
                customer_id=event.customer_id,
                member=event.member,
                version=event.version,
                segment_version=event.segment_version,
                actor=actor_to_proto(event.actor) if event.actor is not None else actor,
            )
            return message, event.customer_id
    raise TypeError(f"no message for {type(event).__name__}")
