"""A calendar of activities as iCalendar text (RFC 5545), for a rep's calendar application:
calls and meetings are events (VEVENT), tasks and emails to-dos (VTODO); every time in UTC."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import icalendar

from crm_sales.domain.activities import Activity, ActivityKind

PRODUCT_ID = "-//Guanxi CRM//Sales activities//EN"
UID_DOMAIN = "guanxi"
TIMED_KINDS = frozenset({ActivityKind.CALL, ActivityKind.MEETING})


def render(activities: Iterable[Activity], *, now: datetime) -> str:
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    for activity in activities:
        calendar.add_component(_component(activity, now))
    text: str = calendar.to_ical().decode()
    return text


def uid_of(activity: Activity) -> str:
    return f"{activity.id}@{UID_DOMAIN}"


def _component(activity: Activity, now: datetime) -> icalendar.Component:
    component: icalendar.Component
    if activity.kind in TIMED_KINDS:
        component = icalendar.Event()
        component.add("dtstart", activity.due_at)
        component.add("dtend", activity.ends_at)
        if activity.cancelled:
            component.add("status", "CANCELLED")
    else:
        component = icalendar.Todo()
        component.add("due", activity.due_at)
        if activity.done_at is not None:
            component.add("completed", activity.done_at)
        component.add("status", _todo_status(activity))
    component.add("uid", uid_of(activity))
    component.add("dtstamp", now)
    component.add("summary", f"{activity.kind.capitalize()}: {activity.title}")
    if activity.notes:
        component.add("description", activity.notes)
    component.add("categories", [activity.kind.value])
    return component


def _todo_status(activity: Activity) -> str:
    if activity.done:
        return "COMPLETED"
    return "CANCELLED" if activity.cancelled else "NEEDS-ACTION"
