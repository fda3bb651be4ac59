"""Activities <-> protobuf messages of crm.sales.v1 (activities.proto), and their events."""

from __future__ import annotations

from datetime import datetime

from crm_platform.enums import EnumCodec
from crm_platform.parsing import timestamp
from crm_proto.crm.common.v1 import common_pb2
from crm_proto.crm.sales.v1 import activities_pb2, events_pb2
from google.protobuf.message import Message

from crm_sales.domain.activities import (
    Activity,
    ActivityCancelled,
    ActivityCompleted,
    ActivityKind,
    ActivityRescheduled,
    ActivityScheduled,
    ActivitySnapshot,
    ActivityState,
    CallOutcome,
    FollowUp,
    SubjectKind,
)

ACTIVITY_KINDS = EnumCodec(ActivityKind, activities_pb2.ActivityKind)
SUBJECT_KINDS = EnumCodec(SubjectKind, activities_pb2.SubjectKind)
CALL_OUTCOMES = EnumCodec(CallOutcome, activities_pb2.CallOutcome)
ACTIVITY_STATES = EnumCodec(ActivityState, activities_pb2.ActivityState)


def activity_to_proto(activity: Activity, *, now: datetime) -> activities_pb2.Activity:
    message = _snapshot_to_proto(activity.snapshot())
    message.notes = activity.notes
    message.cancel_reason = activity.cancel_reason
    message.overdue = activity.is_overdue(now)
    message.created_at.CopyFrom(timestamp(activity.created_at))
    message.updated_at.CopyFrom(timestamp(activity.updated_at))
    return message


def follow_up_to_proto(follow_up: FollowUp) -> activities_pb2.FollowUp:
    return activities_pb2.FollowUp(
        kind=ACTIVITY_KINDS.to_proto(follow_up.kind),
        subject_kind=SUBJECT_KINDS.to_proto(follow_up.subject.kind),
        subject_id=str(follow_up.subject.id),
        customer_id=_optional_id(follow_up.customer_id),
        title=follow_up.title,
        owner_id=follow_up.owner_id or "",
        due_at=timestamp(follow_up.due_at),
    )


ActivityEvent = ActivityScheduled | ActivityCompleted | ActivityRescheduled | ActivityCancelled


def event_message(event: ActivityEvent, actor: common_pb2.Actor) -> Message:
    """The protobuf event of an activity's domain event."""
    match event:
        case ActivityScheduled(activity=snapshot):
            return events_pb2.ActivityScheduled(
                activity=_snapshot_to_proto(snapshot),
                customer_id=_optional_id(snapshot.customer_id),
                version=snapshot.version,
                actor=actor,
            )
        case ActivityCompleted(activity=snapshot):
            return events_pb2.ActivityCompleted(
                activity=_snapshot_to_proto(snapshot),
                customer_id=_optional_id(snapshot.customer_id),
                outcome=CALL_OUTCOMES.to_proto(snapshot.outcome),
                version=snapshot.version,
                actor=actor,
            )
        case ActivityRescheduled(activity=snapshot):
            return events_pb2.ActivityRescheduled(
                activity=_snapshot_to_proto(snapshot),
                customer_id=_optional_id(snapshot.customer_id),
                previous_due_at=timestamp(event.previous_due_at),
                version=snapshot.version,
                actor=actor,
            )
        case ActivityCancelled(activity=snapshot):
            return events_pb2.ActivityCancelled(
                activity=_snapshot_to_proto(snapshot),
                customer_id=_optional_id(snapshot.customer_id),
                reason=event.reason,
                version=snapshot.version,
                actor=actor,
            )
    raise TypeError(f"no event message for {type(event).__name__}")


def _snapshot_to_proto(snapshot: ActivitySnapshot) -> activities_pb2.Activity:
    message = activities_pb2.Activity(
        id=str(snapshot.id),
        kind=ACTIVITY_KINDS.to_proto(snapshot.kind),
        subject_kind=SUBJECT_KINDS.to_proto(snapshot.subject.kind),
        subject_id=str(snapshot.subject.id),
        customer_id=_optional_id(snapshot.customer_id),
        title=snapshot.title,
        owner_id=snapshot.owner_id or "",
        due_at=timestamp(snapshot.due_at),
        duration_minutes=snapshot.duration_minutes or 0,
        state=ACTIVITY_STATES.to_proto(snapshot.state),
        done=snapshot.state is ActivityState.DONE,
        outcome=CALL_OUTCOMES.to_proto(snapshot.outcome),
        outcome_note=snapshot.outcome_note,
        cancelled=snapshot.state is ActivityState.CANCELLED,
        version=snapshot.version,
    )
    if snapshot.done_at is not None:
        message.done_at.CopyFrom(timestamp(snapshot.done_at))
    return message


def _optional_id(value: object | None) -> str:
    return "" if value is None else str(value)
