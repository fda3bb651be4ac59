"""The ActivityService servicer: request -> handler -> response (activities.proto)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import grpc
from crm_platform import parsing
from crm_platform.errors import FieldViolation, ValidationFailed
from crm_platform.grpc_server import ServiceBinding
from crm_proto.crm.sales.v1 import activities_pb2, activities_pb2_grpc

from crm_sales.adapters import icalendar_export
from crm_sales.adapters.activities_messages import (
    ACTIVITY_KINDS,
    CALL_OUTCOMES,
    SUBJECT_KINDS,
    activity_to_proto,
    follow_up_to_proto,
)
from crm_sales.domain.activities import Activity, Subject
from crm_sales.entrypoints.actors import caller
from crm_sales.service_layer.activities import ActivityFilters, ActivityHandlers

SERVICE = activities_pb2.DESCRIPTOR.services_by_name["ActivityService"]


class ActivityServicer(activities_pb2_grpc.ActivityServiceServicer):
    def __init__(self, activities: ActivityHandlers) -> None:
        self.activities = activities

    def ScheduleActivity(
        self, request: activities_pb2.ScheduleActivityRequest, context: grpc.ServicerContext
    ) -> activities_pb2.Activity:
        activity = self.activities.schedule(
            caller(),
            kind=ACTIVITY_KINDS.required(request.kind, "kind"),
            subject=Subject(
                SUBJECT_KINDS.required(request.subject_kind, "subject_kind"),
                parsing.uuid(request.subject_id, "subject_id"),
            ),
            customer_id=parsing.optional_uuid(request.customer_id, "customer_id"),
            title=request.title,
            notes=request.notes,
            owner_id=request.owner_id.strip() or None,
            due_at=_required_time(request, "due_at"),
            duration_minutes=request.duration_minutes or None,
        )
        return _answer(activity)

    def GetActivity(
        self, request: activities_pb2.GetActivityRequest, context: grpc.ServicerContext
    ) -> activities_pb2.Activity:
        return _answer(self.activities.get(caller(), parsing.uuid(request.id, "id")))

    def ListActivities(
        self, request: activities_pb2.ListActivitiesRequest, context: grpc.ServicerContext
    ) -> activities_pb2.ListActivitiesResponse:
        subject_kind = SUBJECT_KINDS.optional(request.subject_kind, "subject_kind")
        subject_id = parsing.optional_uuid(request.subject_id, "subject_id")
        if (subject_kind is None) != (subject_id is None):
            raise ValidationFailed(
                FieldViolation("subject_id", "goes with subject_kind: give both or neither")
            )
        filters = ActivityFilters(
            owner_id=request.owner_id.strip() or None,
            subject=None
            if subject_kind is None or subject_id is None
            else Subject(subject_kind, subject_id),
            kind=ACTIVITY_KINDS.optional(request.kind, "kind"),
            done=None if not request.done else request.done == "true",
            due_from=parsing.optional_time(request, "due_from"),
            due_to=parsing.optional_time(request, "due_to"),
        )
        page = self.activities.list(
            caller(),
            filters,
            page_size=request.page.page_size,
            page_token=request.page.page_token,
        )
        return _page(page.items, page.next_page_token)

    def ListOverdueActivities(
        self, request: activities_pb2.ListOverdueActivitiesRequest, context: grpc.ServicerContext
    ) -> activities_pb2.ListActivitiesResponse:
        page = self.activities.overdue(
            caller(),
            request.owner_id.strip() or None,
            page_size=request.page.page_size,
            page_token=request.page.page_token,
        )
        return _page(page.items, page.next_page_token)

    def RescheduleActivity(
        self, request: activities_pb2.RescheduleActivityRequest, context: grpc.ServicerContext
    ) -> activities_pb2.Activity:
        due_at = _required_time(request, "due_at")
        duration = request.duration_minutes or None
        activity = self.activities.change(
            caller(),
            parsing.uuid(request.id, "id"),
            request.expected_version,
            lambda activity, actor, now: activity.reschedule(actor, now, due_at, duration),
        )
        return _answer(activity)

    def CompleteActivity(
        self, request: activities_pb2.CompleteActivityRequest, context: grpc.ServicerContext
    ) -> activities_pb2.CompleteActivityResponse:
        completion = self.activities.complete(
            caller(),
            parsing.uuid(request.id, "id"),
            request.expected_version,
            outcome=CALL_OUTCOMES.optional(request.outcome, "outcome"),
            note=request.note,
            create_follow_up=request.create_follow_up,
        )
        response = activities_pb2.CompleteActivityResponse(activity=_answer(completion.activity))
        if completion.suggestion is not None:
            response.suggested_follow_up.CopyFrom(follow_up_to_proto(completion.suggestion))
        if completion.follow_up is not None:
            response.follow_up.CopyFrom(_answer(completion.follow_up))
        return response

    def CancelActivity(
        self, request: activities_pb2.CancelActivityRequest, context: grpc.ServicerContext
    ) -> activities_pb2.Activity:
        activity = self.activities.change(
            caller(),
            parsing.uuid(request.id, "id"),
            request.expected_version,
            lambda activity, actor, now: activity.cancel(actor, now, request.reason),
        )
        return _answer(activity)

    def GetCalendar(
        self, request: activities_pb2.GetCalendarRequest, context: grpc.ServicerContext
    ) -> activities_pb2.GetCalendarResponse:
        activities = self._calendar(request)
        return activities_pb2.GetCalendarResponse(activities=[_answer(a) for a in activities])

    def GetCalendarIcs(
        self, request: activities_pb2.GetCalendarRequest, context: grpc.ServicerContext
    ) -> activities_pb2.CalendarIcsResponse:
        text = icalendar_export.render(self._calendar(request), now=datetime.now(UTC))
        return activities_pb2.CalendarIcsResponse(icalendar=text)

    def _calendar(self, request: activities_pb2.GetCalendarRequest) -> Sequence[Activity]:
        return self.activities.calendar(
            caller(),
            start=parsing.optional_time(request, "from"),
            end=parsing.optional_time(request, "to"),
            owner_id=request.owner_id.strip() or None,
        )


def _required_time(request: object, field: str) -> datetime:
    moment = parsing.optional_time(request, field)  # type: ignore[arg-type]
    if moment is None:
        raise ValidationFailed(FieldViolation(field, "is required"))
    return moment


def _answer(activity: Activity) -> activities_pb2.Activity:
    return activity_to_proto(activity, now=datetime.now(UTC))


def _page(items: list[Activity], next_page_token: str) -> activities_pb2.ListActivitiesResponse:
    response = activities_pb2.ListActivitiesResponse(activities=[_answer(a) for a in items])
    response.page.next_page_token = next_page_token
    return response


def binding(activities: ActivityHandlers) -> ServiceBinding:
    return ServiceBinding(
        SERVICE.full_name,
        ActivityServicer(activities),
        activities_pb2_grpc.add_ActivityServiceServicer_to_server,
    )
