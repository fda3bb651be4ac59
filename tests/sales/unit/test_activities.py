"""Activities: their states, the follow-ups completing one suggests, the calendar's range and
its iCalendar rendering."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import icalendar
import pytest
from crm_platform.errors import FailedPrecondition, PermissionDenied, ValidationFailed
from crm_sales.adapters import icalendar_export
from crm_sales.domain.activities import (
    Activity,
    ActivityCancelled,
    ActivityCompleted,
    ActivityKind,
    ActivityRescheduled,
    ActivityScheduled,
    ActivityState,
    CallOutcome,
    Subject,
    SubjectKind,
    add_business_days,
    calendar_range,
)
from crm_sales.domain.values import Actor

from tests.sales.unit.support import CUSTOMER, CUSTOMER_ID, NOW, PARTNER, REP

# NOW is a Friday: the next business day is the Monday after.
MONDAY = datetime(2025, 2, 3, 9, 0, tzinfo=UTC)
ORDER_ID = uuid4()


def scheduled(
    kind: ActivityKind = ActivityKind.CALL,
    *,
    subject: Subject | None = None,
    duration: int | None = None,
    due_at: datetime = NOW + timedelta(hours=2),
    actor: Actor = REP,
) -> Activity:
    return Activity.schedule(
        id=uuid4(),
        kind=kind,
        subject=subject or Subject(SubjectKind.CUSTOMER, CUSTOMER_ID),
        customer_id=None,
        title="Discuss the dining table",
        notes="Bring the walnut samples",
        owner_id=REP.subject,
        due_at=due_at,
        duration_minutes=duration
        if duration is not None
        else (60 if kind is ActivityKind.MEETING else None),
        actor=actor,
        now=NOW,
    )


def violations(excinfo: pytest.ExceptionInfo[ValidationFailed]) -> dict[str, str]:
    return {v.field: v.description for v in excinfo.value.violations}


def test_scheduling_records_the_activity_with_its_customer_and_an_event() -> None:
    activity = scheduled()
    assert activity.state is ActivityState.SCHEDULED
    assert activity.customer_id == CUSTOMER_ID  # a customer subject is its own customer
    assert activity.version == 1
    [event] = activity.pull_events()
    assert isinstance(event, ActivityScheduled)
    assert (event.subject_id, event.version, event.actor) == (activity.id, 1, REP)
    assert event.customer_id == CUSTOMER_ID


def test_an_order_subject_keeps_the_customer_given() -> None:
    activity = Activity.schedule(
        id=uuid4(),
        kind=ActivityKind.TASK,
        subject=Subject(SubjectKind.ORDER, ORDER_ID),
        customer_id=CUSTOMER_ID,
        title="Send the fabric swatches",
        notes="",
        owner_id=None,
        due_at=NOW,
        duration_minutes=None,
        actor=REP,
        now=NOW,
    )
    assert (activity.subject.id, activity.customer_id, activity.owner_id) == (
        ORDER_ID,
        CUSTOMER_ID,
        None,
    )


def test_bad_input_names_every_field() -> None:
    with pytest.raises(ValidationFailed) as excinfo:
        Activity.schedule(
            id=uuid4(),
            kind=ActivityKind.MEETING,
            subject=Subject(SubjectKind.CUSTOMER, CUSTOMER_ID),
            customer_id=uuid4(),
            title="   ",
            notes="x" * 4001,
            owner_id=None,
            due_at=datetime(2025, 2, 1, 9, 0),  # noqa: DTZ001 - the naive time under test
            duration_minutes=None,
            actor=REP,
            now=NOW,
        )
    assert set(violations(excinfo)) == {
        "title",
        "notes",
        "customer_id",
        "due_at",
        "duration_minutes",
    }


@pytest.mark.parametrize(
    ("kind", "duration", "ok"),
    [
        (ActivityKind.MEETING, 30, True),
        (ActivityKind.CALL, None, True),
        (ActivityKind.CALL, 20, True),
        (ActivityKind.TASK, 30, False),
        (ActivityKind.EMAIL, 30, False),
        (ActivityKind.MEETING, 24 * 60 + 1, False),
    ],
)
def test_durations_are_for_meetings_and_calls(
    kind: ActivityKind, duration: int | None, ok: bool
) -> None:
    if ok:
        assert scheduled(kind, duration=duration).duration_minutes == duration
    else:
        with pytest.raises(ValidationFailed) as excinfo:
            scheduled(kind, duration=duration)
        assert set(violations(excinfo)) == {"duration_minutes"}


@pytest.mark.parametrize("actor", [CUSTOMER, PARTNER])
def test_only_sales_staff_plan_activities(actor: Actor) -> None:
    with pytest.raises(PermissionDenied):
        scheduled(actor=actor)


def test_completing_a_call_records_its_outcome_and_is_final() -> None:
    activity = scheduled()
    activity.pull_events()
    activity.complete(REP, NOW, CallOutcome.REACHED, "  Wants oak instead  ")
    assert (activity.done, activity.done_at, activity.outcome) == (
        True,
        NOW,
        CallOutcome.REACHED,
    )
    assert activity.outcome_note == "Wants oak instead"
    [event] = activity.pull_events()
    assert isinstance(event, ActivityCompleted)
    assert (event.version, event.outcome, event.customer_id) == (
        2,
        CallOutcome.REACHED,
        CUSTOMER_ID,
    )
    with pytest.raises(FailedPrecondition):
        activity.complete(REP, NOW, CallOutcome.REACHED, "")
    with pytest.raises(FailedPrecondition):
        activity.cancel(REP, NOW, "no longer needed")
    with pytest.raises(FailedPrecondition):
        activity.reschedule(REP, NOW, NOW + timedelta(days=1), None)
    assert activity.version == 2
    assert activity.pull_events() == []


def test_a_call_needs_an_outcome_and_others_take_none() -> None:
    call = scheduled()
    with pytest.raises(ValidationFailed) as excinfo:
        call.complete(REP, NOW, None, "")
    assert set(violations(excinfo)) == {"outcome"}
    assert (call.state, call.version) == (ActivityState.SCHEDULED, 1)
    task = scheduled(ActivityKind.TASK)
    with pytest.raises(ValidationFailed):
        task.complete(REP, NOW, CallOutcome.REACHED, "")
    assert task.complete(REP, NOW, None, "done") is None  # no rule follows a task


def test_rescheduling_and_cancelling_record_their_events() -> None:
    activity = scheduled()
    before = activity.due_at
    activity.reschedule(REP, NOW, NOW + timedelta(days=3), 30)
    activity.cancel(REP, NOW, "customer is away")
    _, rescheduled, cancelled = activity.pull_events()
    assert isinstance(rescheduled, ActivityRescheduled)
    assert (rescheduled.previous_due_at, rescheduled.version) == (before, 2)
    assert isinstance(cancelled, ActivityCancelled)
    assert (cancelled.reason, cancelled.version) == ("customer is away", 3)
    assert activity.cancelled
    assert activity.due_at == NOW + timedelta(days=3)


def test_a_completed_meeting_suggests_a_call_two_days_later() -> None:
    meeting = scheduled(ActivityKind.MEETING)
    follow_up = meeting.complete(REP, NOW, None, "")
    assert follow_up is not None
    assert follow_up.kind is ActivityKind.CALL
    assert follow_up.due_at == NOW + timedelta(days=2)
    assert (follow_up.subject, follow_up.customer_id, follow_up.owner_id) == (
        meeting.subject,
        CUSTOMER_ID,
        REP.subject,
    )
    assert follow_up.title == "Follow-up call: Discuss the dining table"


@pytest.mark.parametrize(
    ("outcome", "due_at"),
    [
        (CallOutcome.NO_ANSWER, MONDAY),  # the next business day after a Friday
        (CallOutcome.LEFT_MESSAGE, MONDAY + timedelta(days=1)),
        (CallOutcome.REACHED, None),
        (CallOutcome.WRONG_NUMBER, None),
    ],
)
def test_a_call_suggests_another_by_its_outcome(
    outcome: CallOutcome, due_at: datetime | None
) -> None:
    follow_up = scheduled().complete(REP, NOW, outcome, "")
    if due_at is None:
        assert follow_up is None
    else:
        assert follow_up is not None
        assert (follow_up.kind, follow_up.due_at) == (ActivityKind.CALL, due_at)


def test_business_days_skip_the_weekend() -> None:
    wednesday = datetime(2025, 1, 29, 15, 30, tzinfo=UTC)
    assert add_business_days(wednesday, 1) == wednesday + timedelta(days=1)
    assert add_business_days(wednesday, 3) == wednesday + timedelta(days=5)
    assert add_business_days(NOW + timedelta(days=1), 1) == MONDAY  # from a Saturday


def test_a_calendar_spans_at_most_92_days() -> None:
    assert calendar_range(NOW, NOW + timedelta(days=92)) == (NOW, NOW + timedelta(days=92))
    for start, end, field in (
        (NOW, NOW + timedelta(days=92, seconds=1), "to"),
        (NOW, NOW, "to"),
        (NOW, NOW - timedelta(days=1), "to"),
        (None, NOW, "from"),
        (NOW, None, "to"),
    ):
        with pytest.raises(ValidationFailed) as excinfo:
            calendar_range(start, end)
        assert set(violations(excinfo)) == {field}


def test_the_icalendar_text_parses_back_with_an_entry_per_activity() -> None:
    meeting = scheduled(ActivityKind.MEETING, duration=90)
    call = scheduled(ActivityKind.CALL, due_at=NOW + timedelta(days=1))
    task = scheduled(ActivityKind.TASK, due_at=NOW + timedelta(days=2))
    task.complete(REP, NOW, None, "")
    text = icalendar_export.render([meeting, call, task], now=NOW)

    calendar = icalendar.Calendar.from_ical(text)
    events = {str(e["uid"]): e for e in calendar.walk("VEVENT")}
    todos = {str(t["uid"]): t for t in calendar.walk("VTODO")}
    assert set(events) == {f"{meeting.id}@guanxi", f"{call.id}@guanxi"}
    assert set(todos) == {f"{task.id}@guanxi"}
    event = events[f"{meeting.id}@guanxi"]
    assert event.decoded("dtstart") == meeting.due_at
    assert event.decoded("dtend") == meeting.due_at + timedelta(minutes=90)
    assert event.decoded("dtstart").utcoffset() == timedelta(0)
    assert str(event["summary"]) == "Meeting: Discuss the dining table"
    # a call nobody gave a length shows for a quarter of an hour
    assert events[f"{call.id}@guanxi"].decoded("dtend") == call.due_at + timedelta(minutes=15)
    todo = todos[f"{task.id}@guanxi"]
    assert todo.decoded("due") == task.due_at
    assert str(todo["status"]) == "COMPLETED"
    assert "DTSTART:20250131T110000Z" in text  # UTC, not a floating or zoned time
