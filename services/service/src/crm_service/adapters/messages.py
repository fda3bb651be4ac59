"""Cases <-> their protobuf messages (cases.proto), and the case events as published
(events.proto)."""

from __future__ import annotations

from collections.abc import Sequence

from crm_platform.enums import EnumCodec
from crm_platform.parsing import timestamp
from crm_proto.crm.common.v1 import common_pb2
from crm_proto.crm.service.v1 import cases_pb2, events_pb2
from google.protobuf.message import Message

from crm_service.domain import cases
from crm_service.domain.cases import (
    CallDirection,
    Case,
    CaseChannel,
    CaseMessage,
    CasePriority,
    CaseStatus,
    CaseType,
    CustomerRecognition,
)
from crm_service.domain.clocks import ClockKind, ClockState, ClockView
from crm_service.domain.routing import AssignmentReason
from crm_service.domain.values import Actor, ActorKind

CASE_TYPES = EnumCodec(CaseType, cases_pb2.CaseType)
CASE_PRIORITIES = EnumCodec(CasePriority, cases_pb2.CasePriority)
CASE_CHANNELS = EnumCodec(CaseChannel, cases_pb2.CaseChannel)
CASE_STATUSES = EnumCodec(CaseStatus, cases_pb2.CaseStatus)
RECOGNITIONS = EnumCodec(CustomerRecognition, cases_pb2.CustomerRecognition)
ACTOR_KINDS = EnumCodec(ActorKind, common_pb2.ActorKind)
ASSIGNMENT_REASONS = EnumCodec(AssignmentReason, cases_pb2.AssignmentReason)
CLOCK_KINDS = EnumCodec(ClockKind, cases_pb2.SlaClockKind)
CLOCK_STATES = EnumCodec(ClockState, cases_pb2.SlaClockState)
CALL_DIRECTIONS = EnumCodec(CallDirection, cases_pb2.CallDirection)


def case_to_proto(
    case: Case, viewer: Actor | None, clocks: Sequence[ClockView] = ()
) -> cases_pb2.Case:
    """The case as `viewer` sees it (a customer: without internal notes or SLA clocks); None:
    without its conversation (the events' snapshot)."""
    details = case.details
    message = cases_pb2.Case(
        id=str(case.id),
        reference=case.reference,
        type=CASE_TYPES.to_proto(details.type),
        priority=CASE_PRIORITIES.to_proto(details.priority),
        channel=CASE_CHANNELS.to_proto(case.channel),
        status=CASE_STATUSES.to_proto(case.status),
        subject=details.subject,
        description=details.description,
        customer_id=_text(case.customer_id),
        recognition=RECOGNITIONS.to_proto(case.recognition),
        contact_email=case.contact.email,
        contact_phone=case.contact.phone,
        product_ref=details.product_ref,
        order_ref=details.order_ref,
        owner_id=case.owner_id or "",
        resolution=case.resolution,
        reopen_count=case.reopen_count,
        version=case.version,
        escalated=case.escalated,
        escalated_to=case.escalated_to or "",
    )
    if viewer is not None:
        message.messages.extend(message_to_proto(m) for m in case.conversation_for(viewer))
        if not viewer.is_customer:
            message.sla_clocks.extend(clock_to_proto(clock) for clock in clocks)
    for name in ("first_response_at", "resolved_at", "closed_at", "created_at", "updated_at"):
        moment = getattr(case, name)
        if moment is not None:
            getattr(message, name).CopyFrom(timestamp(moment))
    return message


def clock_to_proto(view: ClockView) -> cases_pb2.SlaClock:
    message = cases_pb2.SlaClock(
        kind=CLOCK_KINDS.to_proto(view.kind),
        state=CLOCK_STATES.to_proto(view.state),
        target_minutes=view.target_minutes,
        elapsed_minutes=view.elapsed_minutes,
        remaining_minutes=view.remaining_minutes,
        running=view.running,
        agreement_id=_text(view.agreement_id),
    )
    for name in ("target_at", "warned_at", "breached_at"):
        moment = getattr(view, name)
        if moment is not None:
            getattr(message, name).CopyFrom(timestamp(moment))
    return message


def message_to_proto(message: CaseMessage) -> cases_pb2.CaseMessage:
    return cases_pb2.CaseMessage(
        id=str(message.id),
        author=common_pb2.Actor(
            subject=message.author.subject, kind=ACTOR_KINDS.to_proto(message.author.kind)
        ),
        body=message.body,
        internal=message.internal,
        created_at=timestamp(message.created_at),
        unknown_sender=message.unknown_sender,
        attachments=[
            cases_pb2.CaseAttachment(
                id=str(attachment.id),
                filename=attachment.filename,
                content_type=attachment.content_type,
                size=attachment.size,
            )
            for attachment in message.attachments
        ],
    )


def event_message(event: object, actor: common_pb2.Actor) -> Message:
    match event:
        case cases.CaseOpened(case=snapshot):
            return events_pb2.CaseOpened(
                case=case_to_proto(snapshot.case, None), version=event.version, actor=actor
            )
        case cases.CaseAssigned(case=snapshot):
            return events_pb2.CaseAssigned(
                case=case_to_proto(snapshot.case, None),
                from_owner_id=event.from_owner_id or "",
                to_owner_id=event.to_owner_id,
                reason=ASSIGNMENT_REASONS.to_proto(event.reason),
                version=event.version,
                actor=actor,
            )
        case cases.CaseStatusChanged(case=snapshot):
            return events_pb2.CaseStatusChanged(
                case=case_to_proto(snapshot.case, None),
                from_status=CASE_STATUSES.to_proto(event.from_status),
                to_status=CASE_STATUSES.to_proto(event.to_status),
                reason=event.reason,
                version=event.version,
                actor=actor,
            )
        case cases.CaseMessageAdded(case=snapshot):
            return events_pb2.CaseMessageAdded(
                case_id=str(snapshot.case.id),
                customer_id=_text(snapshot.case.customer_id),
                message=message_to_proto(event.message),
                version=event.version,
                actor=actor,
            )
        case cases.SlaWarning(case=snapshot):
            return events_pb2.SlaWarning(
                case=case_to_proto(snapshot.case, None),
                clock=clock_to_proto(event.clock),
                version=event.version,
                actor=actor,
            )
        case cases.SlaBreached(case=snapshot):
            return events_pb2.SlaBreached(
                case=case_to_proto(snapshot.case, None),
                clock=clock_to_proto(event.clock),
                version=event.version,
                actor=actor,
            )
        case cases.CaseEscalated(case=snapshot):
            return events_pb2.CaseEscalated(
                case=case_to_proto(snapshot.case, None),
                clock_kind=CLOCK_KINDS.to_proto(event.kind),
                manager_id=event.manager_id,
                version=event.version,
                actor=actor,
            )
        case cases.CallLogged(case=snapshot, call=call):
            return events_pb2.CallLogged(
                call_id=str(call.id),
                case_id=str(snapshot.case.id),
                case_reference=snapshot.case.reference,
                customer_id=_text(snapshot.case.customer_id),
                phone=call.phone,
                direction=CALL_DIRECTIONS.to_proto(call.direction),
                duration_seconds=call.duration_seconds,
                recording_url=call.recording_url,
                started_at=timestamp(call.started_at),
                version=event.version,
                actor=actor,
            )
    raise TypeError(f"no event message for {type(event).__name__}")


def _text(value: object | None) -> str:
    return "" if value is None else str(value)
