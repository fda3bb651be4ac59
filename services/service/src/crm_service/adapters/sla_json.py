"""The SLA values as stored in JSON columns: calendars (their hours as text), policy targets,
and a case's pauses (ISO 8601 UTC)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from crm_platform.calendar import CalendarSpec, format_hours, parse_hours

from crm_service.domain.cases import CasePriority, CaseType
from crm_service.domain.clocks import Pause
from crm_service.domain.sla import Target


def calendar_to_json(spec: CalendarSpec) -> dict[str, str]:
    return {
        "timezone": spec.timezone,
        "hours": format_hours(spec.week),
        "holiday_country": spec.holiday_country,
    }


def calendar_from_json(value: dict[str, str]) -> CalendarSpec:
    return CalendarSpec(value["timezone"], parse_hours(value["hours"]), value["holiday_country"])


def targets_to_json(targets: tuple[Target, ...]) -> list[dict[str, Any]]:
    return [
        {
            "case_type": None if target.case_type is None else target.case_type.value,
            "priority": None if target.priority is None else target.priority.value,
            "first_response_minutes": target.first_response_minutes,
            "resolution_minutes": target.resolution_minutes,
        }
        for target in targets
    ]


def targets_from_json(value: list[dict[str, Any]]) -> tuple[Target, ...]:
    return tuple(
        Target(
            first_response_minutes=item["first_response_minutes"],
            resolution_minutes=item["resolution_minutes"],
            case_type=None if item["case_type"] is None else CaseType(item["case_type"]),
            priority=None if item["priority"] is None else CasePriority(item["priority"]),
        )
        for item in value
    )


def pauses_to_json(pauses: list[Pause]) -> list[list[str | None]]:
    return [[start.isoformat(), None if end is None else end.isoformat()] for start, end in pauses]


def pauses_from_json(value: list[list[str | None]]) -> list[Pause]:
    return [
        (datetime.fromisoformat(str(start)), None if end is None else datetime.fromisoformat(end))
        for start, end in value
    ]
