"""Service agreements <-> their protobuf messages (sla.proto)."""

from __future__ import annotations

from collections.abc import Iterable

from crm_platform.calendar import CalendarSpec, format_hours, parse_hours
from crm_platform.errors import FieldViolation, ValidationFailed
from crm_platform.parsing import timestamp
from crm_proto.crm.service.v1 import sla_pb2

from crm_service.adapters.messages import CASE_PRIORITIES, CASE_TYPES
from crm_service.domain.sla import Agreement, SlaPolicy, Target


def agreement_to_proto(agreement: Agreement) -> sla_pb2.Agreement:
    return sla_pb2.Agreement(
        id=str(agreement.id),
        customer_id=str(agreement.customer_id),
        order_ref=agreement.order_ref,
        name=agreement.name,
        targets=[
            sla_pb2.SlaTarget(
                case_type=CASE_TYPES.to_proto(target.case_type),
                priority=CASE_PRIORITIES.to_proto(target.priority),
                first_response_minutes=target.first_response_minutes,
                resolution_minutes=target.resolution_minutes,
            )
            for target in agreement.policy.targets
        ],
        calendar=sla_pb2.WorkingCalendar(
            timezone=agreement.calendar.timezone,
            hours=format_hours(agreement.calendar.week),
            holiday_country=agreement.calendar.holiday_country,
        ),
        version=agreement.version,
        created_at=timestamp(agreement.created_at),
        updated_at=timestamp(agreement.updated_at),
    )


def policy_from_proto(targets: Iterable[sla_pb2.SlaTarget]) -> SlaPolicy:
    return SlaPolicy(
        tuple(
            Target(
                first_response_minutes=target.first_response_minutes,
                resolution_minutes=target.resolution_minutes,
                case_type=CASE_TYPES.optional(target.case_type, f"targets[{index}].case_type"),
                priority=CASE_PRIORITIES.optional(target.priority, f"targets[{index}].priority"),
            )
            for index, target in enumerate(targets)
        )
    )


def calendar_from_proto(calendar: sla_pb2.WorkingCalendar) -> CalendarSpec:
    try:
        week = parse_hours(calendar.hours)
    except ValueError as exc:
        raise ValidationFailed(FieldViolation("calendar.hours", str(exc))) from None
    return CalendarSpec(calendar.timezone.strip(), week, calendar.holiday_country)
