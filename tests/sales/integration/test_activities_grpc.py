"""Activities over real gRPC on PostgreSQL and SQLite: scheduled, completed with the follow-up
their kind suggests (scheduled in the same transaction when asked), each change an event in the
outbox with its actor and version; another rep's activity is NOT_FOUND, bad input is
INVALID_ARGUMENT and changes nothing; calendars, overdue lists and the iCalendar export."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import icalendar
import pytest
import sqlalchemy as sa
from crm_platform.access import policy_of
from crm_platform.db import ping
from crm_platform.grpc_errors import ErrorDetails, details_of
from crm_platform.parsing import timestamp
from crm_platform.testing.grpc_servers import serving
from crm_platform.testing.tokens import bearer, staff_token
from crm_proto.crm.common.v1 import common_pb2
from crm_proto.crm.sales.v1 import (
    activities_pb2,
    activities_pb2_grpc,
    events_pb2,
    sales_pb2,
    sales_pb2_grpc,
)
from crm_sales.adapters import orm
from crm_sales.domain.leads import Contact, Lead
from crm_sales.domain.teams import LeadSource
from crm_sales.domain.values import Actor, ActorKind
from crm_sales.entrypoints import activities_api, grpc_api
from crm_sales.service_layer.activities import ActivityHandlers
from crm_sales.service_layer.handlers import OrderHandlers
from crm_sales.service_layer.ports import CustomerStanding
from sqlalchemy import Engine

from tests.customer.integration.support import outbox_events, row_count
from tests.sales.integration.conftest import KnownCustomers, unit_of_work

A = activities_pb2
CUSTOMER_ID = str(uuid.uuid4())
REP = staff_token("sales_rep", subject="rep-1")
OTHER_REP = staff_token("sales_rep", subject="rep-2")
ADMIN = staff_token("admin", subject="admin-1")
MANAGER = staff_token("manager", subject="manager-1")
OTHER_MANAGER = staff_token("manager", subject="manager-2")
NOW = datetime.now(UTC).replace(microsecond=0)


class Stubs:
    def __init__(self, channel: grpc.Channel) -> None:
        self.activities = activities_pb2_grpc.ActivityServiceStub(channel)
        self.orders = sales_pb2_grpc.SalesServiceStub(channel)


@pytest.fixture
def stubs(engine: Engine, customers: KnownCustomers) -> Iterator[Stubs]:
    customers[uuid.UUID(CUSTOMER_ID)] = CustomerStanding.ACTIVE
    uow = unit_of_work(engine)
    bindings = [
        grpc_api.binding(OrderHandlers(uow, customers)),
        activities_api.binding(ActivityHandlers(uow)),
    ]
    # the policy of the services served here (the service's names every part's methods)
    policy = policy_of(activities_api.SERVICE, grpc_api.SERVICE)
    with serving(bindings, policy, database=lambda: ping(engine)) as target:
        channel = grpc.insecure_channel(target)
        try:
            grpc.channel_ready_future(channel).result(timeout=10)
            yield Stubs(channel)
        finally:
            channel.close()


def call(stubs: Stubs, method: str, token: str, request: Any) -> Any:
    return getattr(stubs.activities, method)(request, metadata=bearer(token), timeout=10)


def refused(stubs: Stubs, method: str, token: str, request: Any) -> ErrorDetails:
    with pytest.raises(grpc.RpcError) as error:
        call(stubs, method, token, request)
    return details_of(error.value)


def calendar_request(start: datetime, end: datetime, owner_id: str = "") -> A.GetCalendarRequest:
    request = A.GetCalendarRequest(owner_id=owner_id)
    getattr(request, "from").CopyFrom(timestamp(start))  # `from` is a Python keyword
    request.to.CopyFrom(timestamp(end))
    return request


def schedule(stubs: Stubs, token: str = REP, **fields: Any) -> A.Activity:
    request = A.ScheduleActivityRequest(
        kind=fields.pop("kind", A.ACTIVITY_KIND_CALL),
        subject_kind=fields.pop("subject_kind", A.SUBJECT_KIND_CUSTOMER),
        subject_id=fields.pop("subject_id", CUSTOMER_ID),
        title=fields.pop("title", "Ask about the dining table"),
        due_at=timestamp(fields.pop("due_at", NOW + timedelta(hours=1))),
        **fields,
    )
    activity: A.Activity = call(stubs, "ScheduleActivity", token, request)
    return activity


def test_a_meeting_completed_schedules_its_follow_up_call(stubs: Stubs, engine: Engine) -> None:
    order = stubs.orders.PlaceOrder(
        sales_pb2.PlaceOrderRequest(customer_id=CUSTOMER_ID, title="Dining table"),
        metadata=bearer(REP),
        timeout=10,
    )
    meeting = schedule(
        stubs,
        kind=A.ACTIVITY_KIND_MEETING,
        subject_kind=A.SUBJECT_KIND_ORDER,
        subject_id=order.id,
        title="Show the samples",
        duration_minutes=45,
    )
    # the customer comes from the order; a rep's activity is theirs
    assert (meeting.customer_id, meeting.owner_id, meeting.version) == (CUSTOMER_ID, "rep-1", 1)
    assert meeting.state == A.ACTIVITY_STATE_SCHEDULED

    done = call(
        stubs,
        "CompleteActivity",
        REP,
        A.CompleteActivityRequest(
            id=meeting.id, expected_version=1, note="Liked the walnut", create_follow_up=True
        ),
    )
    assert (done.activity.done, done.activity.version) == (True, 2)
    assert done.activity.outcome_note == "Liked the walnut"
    follow_up = done.follow_up
    assert follow_up.kind == A.ACTIVITY_KIND_CALL
    assert (follow_up.subject_id, follow_up.customer_id) == (order.id, CUSTOMER_ID)
    assert follow_up.title == "Follow-up call: Show the samples"
    assert follow_up.due_at.ToDatetime(tzinfo=UTC) - done.activity.done_at.ToDatetime(
        tzinfo=UTC
    ) == timedelta(days=2)
    assert done.suggested_follow_up.title == follow_up.title
    fetched = call(stubs, "GetActivity", REP, A.GetActivityRequest(id=follow_up.id))
    assert fetched == follow_up

    events = [e for e in outbox_events(engine) if e.type.startswith("crm.sales.v1.Activity")]
    assert [e.type.rsplit(".", 1)[-1] for e in events] == [
        "ActivityScheduled",
        "ActivityCompleted",
        "ActivityScheduled",
    ]
    completed = events[1].message
    assert isinstance(completed, events_pb2.ActivityCompleted)
    assert (completed.version, completed.customer_id) == (2, CUSTOMER_ID)
    assert completed.activity.id == meeting.id
    assert (completed.actor.subject, completed.actor.kind) == (
        "rep-1",
        common_pb2.ACTOR_KIND_STAFF,
    )
    assert events[1].subject == meeting.id
    assert events[2].message.activity.id == follow_up.id  # type: ignore[attr-defined]


def test_a_call_without_an_answer_suggests_another_without_scheduling_it(
    stubs: Stubs, engine: Engine
) -> None:
    activity = schedule(stubs)
    done = call(
        stubs,
        "CompleteActivity",
        REP,
        A.CompleteActivityRequest(id=activity.id, outcome=A.CALL_OUTCOME_NO_ANSWER),
    )
    assert done.activity.outcome == A.CALL_OUTCOME_NO_ANSWER
    assert done.HasField("suggested_follow_up")
    assert not done.HasField("follow_up")
    assert row_count(engine, "activities") == 1
    completed = outbox_events(engine)[-1].message
    assert isinstance(completed, events_pb2.ActivityCompleted)
    assert completed.outcome == A.CALL_OUTCOME_NO_ANSWER


def test_another_rep_does_not_find_it(stubs: Stubs) -> None:
    activity = schedule(stubs)
    for method, request in (
        ("GetActivity", A.GetActivityRequest(id=activity.id)),
        ("CancelActivity", A.CancelActivityRequest(id=activity.id)),
        (
            "CompleteActivity",
            A.CompleteActivityRequest(id=activity.id, outcome=A.CALL_OUTCOME_REACHED),
        ),
    ):
        assert refused(stubs, method, OTHER_REP, request).code == grpc.StatusCode.NOT_FOUND
    listed = call(stubs, "ListActivities", OTHER_REP, A.ListActivitiesRequest())
    assert list(listed.activities) == []
    theirs = call(
        stubs,
        "GetCalendar",
        OTHER_REP,
        calendar_request(NOW, NOW + timedelta(days=1), owner_id="rep-1"),
    )
    assert list(theirs.activities) == []
    assert call(stubs, "GetActivity", ADMIN, A.GetActivityRequest(id=activity.id)).id == (
        activity.id
    )


def test_bad_input_is_invalid_argument_and_changes_nothing(stubs: Stubs, engine: Engine) -> None:
    activity = schedule(stubs)
    before = len(outbox_events(engine))
    cases = [
        ("ScheduleActivity", A.ScheduleActivityRequest(
            kind=A.ACTIVITY_KIND_MEETING, subject_kind=A.SUBJECT_KIND_CUSTOMER,
            subject_id=CUSTOMER_ID, title="No length", due_at=timestamp(NOW),
        ), "duration_minutes"),
        ("ScheduleActivity", A.ScheduleActivityRequest(
            kind=A.ACTIVITY_KIND_CALL, subject_kind=A.SUBJECT_KIND_ORDER,
            subject_id=str(uuid.uuid4()), title="No such order", due_at=timestamp(NOW),
        ), "subject_id"),
        ("ScheduleActivity", A.ScheduleActivityRequest(
            kind=A.ACTIVITY_KIND_EMAIL, subject_kind=A.SUBJECT_KIND_LEAD,
            subject_id=str(uuid.uuid4()), title="No such lead", due_at=timestamp(NOW),
        ), "subject_id"),
        ("ScheduleActivity", A.ScheduleActivityRequest(
            kind=A.ACTIVITY_KIND_CALL, subject_kind=A.SUBJECT_KIND_CUSTOMER,
            subject_id="not-a-uuid", title="", due_at=timestamp(NOW),
        ), "subject_id"),
        ("CompleteActivity", A.CompleteActivityRequest(id=activity.id), "outcome"),
        ("GetCalendar", calendar_request(NOW, NOW + timedelta(days=93)), "to"),
    ]  # fmt: skip
    for method, request, field in cases:
        error = refused(stubs, method, REP, request)
        assert error.code == grpc.StatusCode.INVALID_ARGUMENT, (method, error)
        assert field in {v.field for v in error.violations}, (method, error.violations)
    assert len(outbox_events(engine)) == before
    assert row_count(engine, "activities") == 1
    unchanged = call(stubs, "GetActivity", REP, A.GetActivityRequest(id=activity.id))
    assert (unchanged.version, unchanged.done) == (1, False)


def test_a_done_activity_takes_no_change_and_a_stale_version_is_aborted(stubs: Stubs) -> None:
    activity = schedule(stubs)
    stale = refused(
        stubs,
        "RescheduleActivity",
        REP,
        A.RescheduleActivityRequest(id=activity.id, expected_version=7, due_at=timestamp(NOW)),
    )
    assert stale.code == grpc.StatusCode.ABORTED
    moved = call(
        stubs,
        "RescheduleActivity",
        REP,
        A.RescheduleActivityRequest(
            id=activity.id, expected_version=1, due_at=timestamp(NOW + timedelta(days=1))
        ),
    )
    assert moved.version == 2
    call(stubs, "CancelActivity", REP, A.CancelActivityRequest(id=activity.id, reason="away"))
    again = refused(
        stubs, "CancelActivity", REP, A.CancelActivityRequest(id=activity.id, reason="away")
    )
    assert again.code == grpc.StatusCode.FAILED_PRECONDITION


def test_overdue_calendar_and_its_icalendar_export(stubs: Stubs) -> None:
    late = schedule(stubs, title="Late call", due_at=NOW - timedelta(days=1))
    done_late = schedule(stubs, title="Done call", due_at=NOW - timedelta(days=2))
    call(
        stubs,
        "CompleteActivity",
        REP,
        A.CompleteActivityRequest(id=done_late.id, outcome=A.CALL_OUTCOME_REACHED),
    )
    meeting = schedule(
        stubs,
        kind=A.ACTIVITY_KIND_MEETING,
        title="Showroom visit",
        duration_minutes=60,
        due_at=NOW + timedelta(days=3),
    )
    task = schedule(
        stubs, kind=A.ACTIVITY_KIND_TASK, title="Send swatches", due_at=NOW + timedelta(days=1)
    )
    schedule(stubs, OTHER_REP, title="Not rep-1's", due_at=NOW - timedelta(days=1))
    schedule(stubs, title="Too late for the window", due_at=NOW + timedelta(days=40))

    overdue = call(stubs, "ListOverdueActivities", REP, A.ListOverdueActivitiesRequest())
    assert [a.id for a in overdue.activities] == [late.id]
    assert overdue.activities[0].overdue

    window = calendar_request(NOW - timedelta(days=7), NOW + timedelta(days=7))
    calendar = call(stubs, "GetCalendar", REP, window)
    assert [a.id for a in calendar.activities] == [done_late.id, late.id, task.id, meeting.id]

    open_calls = call(
        stubs,
        "ListActivities",
        REP,
        A.ListActivitiesRequest(kind=A.ACTIVITY_KIND_CALL, done="false", owner_id="rep-1"),
    )
    assert [a.title for a in open_calls.activities] == ["Late call", "Too late for the window"]

    exported = call(stubs, "GetCalendarIcs", REP, window)
    parsed = icalendar.Calendar.from_ical(exported.icalendar)
    events = {str(e["uid"]): e for e in parsed.walk("VEVENT")}
    assert set(events) == {f"{x.id}@guanxi" for x in (late, done_late, meeting)}
    assert {str(t["uid"]) for t in parsed.walk("VTODO")} == {f"{task.id}@guanxi"}
    showroom = events[f"{meeting.id}@guanxi"]
    assert showroom.decoded("dtstart") == NOW + timedelta(days=3)
    assert showroom.decoded("dtend") == NOW + timedelta(days=3, hours=1)
    assert str(showroom["summary"]) == "Meeting: Showroom visit"


def test_a_lead_not_yet_converted_keeps_the_customer_given(stubs: Stubs, engine: Engine) -> None:
    lead = Lead.create(
        id=uuid.uuid4(),
        source=next(iter(LeadSource)),
        campaign_id="",
        contact=Contact(name="Zhao Lei", email="zhao@example.com"),
        notes="",
        tags=(),
        actor=Actor("rep-1", ActorKind.STAFF, frozenset({"sales_rep"})),
        now=NOW,
    )
    with unit_of_work(engine)() as uow:
        uow.leads.add(lead)
        uow.commit()
    unknown = schedule(
        stubs, kind=A.ACTIVITY_KIND_EMAIL, subject_kind=A.SUBJECT_KIND_LEAD, subject_id=str(lead.id)
    )
    given = schedule(
        stubs,
        subject_kind=A.SUBJECT_KIND_LEAD,
        subject_id=str(lead.id),
        customer_id=CUSTOMER_ID,
    )
    assert (unknown.customer_id, given.customer_id) == ("", CUSTOMER_ID)
    assert unknown.subject_kind == A.SUBJECT_KIND_LEAD


def test_a_manager_reads_the_calendar_of_their_team_member(stubs: Stubs, engine: Engine) -> None:
    team_id = uuid.uuid4()
    with engine.begin() as connection:
        connection.execute(
            sa.insert(orm.teams).values(
                id=team_id,
                name=f"East {team_id.hex[:6]}",
                document={},
                version=1,
                created_at=NOW,
                updated_at=NOW,
            )
        )
        for user_id, is_manager in (("rep-1", False), ("manager-1", True)):
            connection.execute(
                sa.insert(orm.team_members).values(
                    team_id=team_id,
                    user_id=user_id,
                    is_manager=is_manager,
                    monthly_capacity=10,
                    active=True,
                )
            )
    activity = schedule(stubs, due_at=NOW + timedelta(hours=3))
    window = calendar_request(NOW, NOW + timedelta(days=1), owner_id="rep-1")
    managed = call(stubs, "GetCalendar", MANAGER, window)
    assert [a.id for a in managed.activities] == [activity.id]
    outsider = call(stubs, "GetCalendar", OTHER_MANAGER, window)
    assert list(outsider.activities) == []
