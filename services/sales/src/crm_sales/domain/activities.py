"""Activities: the calls, meetings, tasks and emails a rep plans and logs about a lead, an
opportunity, an order or a customer.

    scheduled -> done (with an outcome for a call)
              -> cancelled
    a scheduled activity may be rescheduled; done and cancelled are final.

Completing one may lead to the next: `FOLLOW_UPS` says which activity usually follows which
(a call two days after a meeting, another call the next business day when nobody answered).
The caller either takes the suggestion as it is or has it scheduled in the same transaction.

Pure Python. Times are timezone-aware UTC and are passed in by the caller (`now`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from uuid import UUID

from crm_platform.errors import (
    FailedPrecondition,
    FieldViolation,
    PermissionDenied,
    ValidationFailed,
)

from crm_sales.domain.values import Actor

TITLE_MAX_LENGTH = 200
NOTES_MAX_LENGTH = 4000
OWNER_MAX_LENGTH = 100
NOTE_MAX_LENGTH = 2000
MAX_DURATION_MINUTES = 24 * 60
# A calendar is asked for at most about a quarter at a time.
MAX_CALENDAR_DAYS = 92
# What a calendar shows for a call nobody gave a length.
DEFAULT_CALL_MINUTES = 15


class ActivityKind(StrEnum):
    CALL = "call"
    MEETING = "meeting"
    TASK = "task"
    EMAIL = "email"


class SubjectKind(StrEnum):
    LEAD = "lead"
    OPPORTUNITY = "opportunity"
    ORDER = "order"
    CUSTOMER = "customer"


class CallOutcome(StrEnum):
    REACHED = "reached"
    NO_ANSWER = "no_answer"
    LEFT_MESSAGE = "left_message"
    WRONG_NUMBER = "wrong_number"


class ActivityState(StrEnum):
    SCHEDULED = "scheduled"
    DONE = "done"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Subject:
    """What an activity is about."""

    kind: SubjectKind
    id: UUID


@dataclass(frozen=True)
class FollowUpRule:
    """After an activity of `after` completed (with `outcome`, None: whatever the outcome),
    an activity of `next_kind` `days` later (business days when `business_days`)."""

    after: ActivityKind
    outcome: CallOutcome | None
    next_kind: ActivityKind
    days: int
    business_days: bool
    title_prefix: str


FOLLOW_UPS: tuple[FollowUpRule, ...] = (
    FollowUpRule(ActivityKind.MEETING, None, ActivityKind.CALL, 2, False, "Follow-up call"),
    FollowUpRule(
        ActivityKind.CALL, CallOutcome.NO_ANSWER, ActivityKind.CALL, 1, True, "Call again"
    ),
    FollowUpRule(
        ActivityKind.CALL, CallOutcome.LEFT_MESSAGE, ActivityKind.CALL, 2, True, "Call back"
    ),
)


@dataclass(frozen=True)
class FollowUp:
    """The activity a completed one suggests: scheduled as it is by `Activity.schedule`."""

    kind: ActivityKind
    subject: Subject
    customer_id: UUID | None
    title: str
    owner_id: str | None
    due_at: datetime
    duration_minutes: int | None


@dataclass(frozen=True)
class ActivitySnapshot:
    """An activity as it stands after a change: what its events carry."""

    id: UUID
    kind: ActivityKind
    subject: Subject
    customer_id: UUID | None
    title: str
    owner_id: str | None
    due_at: datetime
    duration_minutes: int | None
    state: ActivityState
    outcome: CallOutcome | None
    outcome_note: str
    done_at: datetime | None
    version: int


@dataclass(frozen=True)
class ActivityScheduled:
    activity: ActivitySnapshot
    actor: Actor

    @property
    def subject_id(self) -> UUID:
        return self.activity.id

    @property
    def version(self) -> int:
        return self.activity.version

    @property
    def customer_id(self) -> UUID | None:
        return self.activity.customer_id


@dataclass(frozen=True)
class ActivityCompleted:
    """Logged as done: what the customer's timeline shows."""

    activity: ActivitySnapshot
    actor: Actor

    @property
    def subject_id(self) -> UUID:
        return self.activity.id

    @property
    def version(self) -> int:
        return self.activity.version

    @property
    def customer_id(self) -> UUID | None:
        return self.activity.customer_id

    @property
    def outcome(self) -> CallOutcome | None:
        return self.activity.outcome


@dataclass(frozen=True)
class ActivityRescheduled:
    activity: ActivitySnapshot
    previous_due_at: datetime
    actor: Actor

    @property
    def subject_id(self) -> UUID:
        return self.activity.id

    @property
    def version(self) -> int:
        return self.activity.version

    @property
    def customer_id(self) -> UUID | None:
        return self.activity.customer_id


@dataclass(frozen=True)
class ActivityCancelled:
    activity: ActivitySnapshot
    reason: str
    actor: Actor

    @property
    def subject_id(self) -> UUID:
        return self.activity.id

    @property
    def version(self) -> int:
        return self.activity.version

    @property
    def customer_id(self) -> UUID | None:
        return self.activity.customer_id


@dataclass
class Activity:
    id: UUID
    kind: ActivityKind
    subject: Subject
    customer_id: UUID | None
    title: str
    notes: str
    owner_id: str | None  # the rep it is for
    due_at: datetime
    duration_minutes: int | None  # a meeting's (and optionally a call's) length
    state: ActivityState
    done_at: datetime | None
    outcome: CallOutcome | None
    outcome_note: str
    cancel_reason: str
    version: int
    created_at: datetime
    updated_at: datetime
    _events: list[object] = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def schedule(
        cls,
        *,
        id: UUID,
        kind: ActivityKind,
        subject: Subject,
        customer_id: UUID | None,
        title: str,
        notes: str,
        owner_id: str | None,
        due_at: datetime,
        duration_minutes: int | None,
        actor: Actor,
        now: datetime,
    ) -> Activity:
        _ensure_staff(actor)
        violations: list[FieldViolation] = []
        texts: dict[str, str] = {}
        for name, value, max_length, required in (
            ("title", title, TITLE_MAX_LENGTH, True),
            ("notes", notes, NOTES_MAX_LENGTH, False),
            ("owner_id", owner_id or "", OWNER_MAX_LENGTH, False),
        ):
            violation = _text_violation(value, name, max_length, required)
            if violation is None:
                texts[name] = value.strip()
            else:
                violations.append(violation)
        if subject.kind is SubjectKind.CUSTOMER:
            if customer_id not in (None, subject.id):
                violations.append(
                    FieldViolation("customer_id", "must be the subject's id for a customer")
                )
            customer_id = subject.id
        violations.extend(_timing_violations(kind, due_at, duration_minutes))
        if violations:
            raise ValidationFailed(violations)
        activity = cls(
            id=id,
            kind=kind,
            subject=subject,
            customer_id=customer_id,
            title=texts["title"],
            notes=texts["notes"],
            owner_id=texts["owner_id"] or None,
            due_at=due_at.astimezone(UTC),
            duration_minutes=duration_minutes,
            state=ActivityState.SCHEDULED,
            done_at=None,
            outcome=None,
            outcome_note="",
            cancel_reason="",
            version=1,
            created_at=now,
            updated_at=now,
        )
        activity._events.append(ActivityScheduled(activity.snapshot(), actor))
        return activity

    def reschedule(
        self, actor: Actor, now: datetime, due_at: datetime, duration_minutes: int | None
    ) -> None:
        _ensure_staff(actor)
        self._ensure_open("reschedule")
        violations = _timing_violations(self.kind, due_at, duration_minutes)
        if violations:
            raise ValidationFailed(violations)
        previous, self.due_at = self.due_at, due_at.astimezone(UTC)
        self.duration_minutes = duration_minutes
        self._touch(now)
        self._events.append(ActivityRescheduled(self.snapshot(), previous, actor))

    def complete(
        self, actor: Actor, now: datetime, outcome: CallOutcome | None, note: str
    ) -> FollowUp | None:
        """Log it as done; the follow-up its rules suggest, if any."""
        _ensure_staff(actor)
        self._ensure_open("complete")
        violations: list[FieldViolation] = []
        if self.kind is ActivityKind.CALL and outcome is None:
            violations.append(FieldViolation("outcome", "is required for a call"))
        if self.kind is not ActivityKind.CALL and outcome is not None:
            violations.append(FieldViolation("outcome", "is for calls only"))
        text_violation = _text_violation(note, "note", NOTE_MAX_LENGTH, False)
        if text_violation is not None:
            violations.append(text_violation)
        if violations:
            raise ValidationFailed(violations)
        self.state, self.done_at = ActivityState.DONE, now
        self.outcome, self.outcome_note = outcome, note.strip()
        self._touch(now)
        self._events.append(ActivityCompleted(self.snapshot(), actor))
        return follow_up_of(self)

    def cancel(self, actor: Actor, now: datetime, reason: str) -> None:
        _ensure_staff(actor)
        self._ensure_open("cancel")
        violation = _text_violation(reason, "reason", NOTE_MAX_LENGTH, False)
        if violation is not None:
            raise ValidationFailed(violation)
        self.state, self.cancel_reason = ActivityState.CANCELLED, reason.strip()
        self._touch(now)
        self._events.append(ActivityCancelled(self.snapshot(), self.cancel_reason, actor))

    # -- queries --------------------------------------------------------------------------------

    @property
    def done(self) -> bool:
        return self.state is ActivityState.DONE

    @property
    def cancelled(self) -> bool:
        return self.state is ActivityState.CANCELLED

    def is_overdue(self, now: datetime) -> bool:
        return self.state is ActivityState.SCHEDULED and self.due_at < now

    @property
    def ends_at(self) -> datetime:
        minutes = self.duration_minutes or (
            DEFAULT_CALL_MINUTES if self.kind is ActivityKind.CALL else 0
        )
        return self.due_at + timedelta(minutes=minutes)

    def snapshot(self) -> ActivitySnapshot:
        return ActivitySnapshot(
            id=self.id,
            kind=self.kind,
            subject=self.subject,
            customer_id=self.customer_id,
            title=self.title,
            owner_id=self.owner_id,
            due_at=self.due_at,
            duration_minutes=self.duration_minutes,
            state=self.state,
            outcome=self.outcome,
            outcome_note=self.outcome_note,
            done_at=self.done_at,
            version=self.version,
        )

    def pull_events(self) -> list[object]:
        pulled, self._events = self._events, []
        return pulled

    def _ensure_open(self, step: str) -> None:
        if self.state is not ActivityState.SCHEDULED:
            raise FailedPrecondition(f"activity {self.id} is {self.state}: it cannot {step}")

    def _touch(self, now: datetime) -> None:
        self.version += 1
        self.updated_at = now


def follow_up_of(
    activity: Activity, rules: tuple[FollowUpRule, ...] = FOLLOW_UPS
) -> FollowUp | None:
    """The activity that usually follows this completed one: the first rule that matches."""
    for rule in rules:
        if rule.after is activity.kind and rule.outcome in (None, activity.outcome):
            start = activity.done_at or activity.due_at
            return FollowUp(
                kind=rule.next_kind,
                subject=activity.subject,
                customer_id=activity.customer_id,
                title=f"{rule.title_prefix}: {activity.title}"[:TITLE_MAX_LENGTH],
                owner_id=activity.owner_id,
                due_at=(
                    add_business_days(start, rule.days)
                    if rule.business_days
                    else start + timedelta(days=rule.days)
                ),
                duration_minutes=None,
            )
    return None


def add_business_days(moment: datetime, days: int) -> datetime:
    """`days` weekdays after `moment`, at the same time of day (Saturday and Sunday skipped)."""
    result = moment
    while days > 0:
        result += timedelta(days=1)
        if result.weekday() < 5:
            days -= 1
    return result


def calendar_range(start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    """A calendar's [start, end): both given, end after start, at most MAX_CALENDAR_DAYS."""
    violations = []
    if start is None:
        violations.append(FieldViolation("from", "is required"))
    if end is None:
        violations.append(FieldViolation("to", "is required"))
    if start is not None and end is not None:
        if end <= start:
            violations.append(FieldViolation("to", "must be after from"))
        elif end - start > timedelta(days=MAX_CALENDAR_DAYS):
            violations.append(
                FieldViolation("to", f"must be at most {MAX_CALENDAR_DAYS} days after from")
            )
    if violations or start is None or end is None:
        raise ValidationFailed(violations)
    return start, end


def _timing_violations(
    kind: ActivityKind, due_at: datetime, duration_minutes: int | None
) -> list[FieldViolation]:
    violations = []
    if due_at.tzinfo is None:
        violations.append(FieldViolation("due_at", "must carry a time zone"))
    if kind is ActivityKind.MEETING and not duration_minutes:
        violations.append(FieldViolation("duration_minutes", "is required for a meeting"))
    elif kind in (ActivityKind.TASK, ActivityKind.EMAIL) and duration_minutes:
        violations.append(FieldViolation("duration_minutes", "is for meetings and calls only"))
    elif duration_minutes is not None and not 0 < duration_minutes <= MAX_DURATION_MINUTES:
        violations.append(
            FieldViolation("duration_minutes", f"must be 1 to {MAX_DURATION_MINUTES} minutes")
        )
    return violations


def _ensure_staff(actor: Actor) -> None:
    if not actor.is_staff:
        raise PermissionDenied(f"{actor.kind} {actor.subject!r} may not plan or log activities")


def _text_violation(
    value: str, field_path: str, max_length: int, required: bool
) -> FieldViolation | None:
    text = value.strip()
    if required and not text:
        return FieldViolation(field_path, "is required")
    if len(text) > max_length:
        return FieldViolation(field_path, f"must be at most {max_length} characters")
    return None
