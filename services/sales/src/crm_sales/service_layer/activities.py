"""The activity use cases: plan, log, reschedule and cancel calls, meetings, tasks and emails;
a rep's calendar and overdue list.

Who sees which activity is the service's one rule (service_layer/visibility.py): an activity
the caller may not see is NOT_FOUND, and lists hold only the visible ones. The customer an
activity concerns is taken from the order, opportunity or lead it is about when that has one,
else it is what the caller gave (a customer subject is its own customer).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol
from uuid import UUID

from crm_platform import paging
from crm_platform.errors import (
    Conflict,
    FieldViolation,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from crm_platform.paging import Cursor, Page

from crm_sales.domain.activities import (
    Activity,
    ActivityKind,
    CallOutcome,
    FollowUp,
    Subject,
    SubjectKind,
    calendar_range,
)
from crm_sales.domain.values import Actor
from crm_sales.service_layer.ports import UnitOfWork
from crm_sales.service_layer.visibility import Scope, scope_of, sees_everything

# The most a calendar holds: 92 days of a busy rep's diary.
CALENDAR_LIMIT = 2000


@dataclass(frozen=True)
class ActivityFilters:
    owner_id: str | None = None
    subject: Subject | None = None
    kind: ActivityKind | None = None
    done: bool | None = None
    due_from: datetime | None = None  # due at or after
    due_to: datetime | None = None  # due before
    open_only: bool = False  # neither done nor cancelled


class ActivityRepository(Protocol):
    def get(self, activity_id: UUID) -> Activity | None: ...

    def add(self, activity: Activity) -> None: ...

    def save(self, activity: Activity) -> None: ...

    def list(
        self, scope: Scope, filters: ActivityFilters, after: Cursor | None, limit: int
    ) -> list[Activity]:
        """Visible to `scope`, by due time then id, after the cursor (due_at, id)."""
        ...


class SubjectRecord(Protocol):
    """What an activity needs of the order, opportunity or lead it is about."""

    @property
    def owner_id(self) -> str | None: ...

    @property
    def customer_id(self) -> UUID | None: ...


class SubjectRecords(Protocol):
    def get(self, record_id: UUID, /) -> SubjectRecord | None: ...


class ActivityUnitOfWork(UnitOfWork, Protocol):
    @property
    def activities(self) -> ActivityRepository: ...

    @property
    def opportunities(self) -> SubjectRecords: ...

    @property
    def leads(self) -> SubjectRecords: ...


@dataclass(frozen=True)
class Completion:
    activity: Activity
    suggestion: FollowUp | None
    follow_up: Activity | None  # scheduled, when asked for


Change = Callable[[Activity, Actor, datetime], None]


class ActivityHandlers:
    def __init__(
        self,
        uow_factory: Callable[[], ActivityUnitOfWork],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.uow_factory = uow_factory
        self.clock = clock

    def schedule(
        self,
        actor: Actor,
        *,
        kind: ActivityKind,
        subject: Subject,
        customer_id: UUID | None,
        title: str,
        notes: str,
        owner_id: str | None,
        due_at: datetime,
        duration_minutes: int | None,
    ) -> Activity:
        with self.uow_factory() as uow:
            scope = scope_of(actor, uow.teams)
            if owner_id is None and not sees_everything(actor):
                owner_id = actor.subject  # a rep's activity is theirs
            if owner_id and not scope.admits(owner_id=owner_id):
                raise PermissionDenied(
                    f"{actor.subject!r} may not plan activities for {owner_id!r}"
                )
            activity = Activity.schedule(
                id=uuid.uuid4(),
                kind=kind,
                subject=subject,
                customer_id=_customer_of(uow, scope, subject, customer_id),
                title=title,
                notes=notes,
                owner_id=owner_id,
                due_at=due_at,
                duration_minutes=duration_minutes,
                actor=actor,
                now=self.clock(),
            )
            uow.activities.add(activity)
            uow.commit()
        return activity

    def get(self, actor: Actor, activity_id: UUID) -> Activity:
        with self.uow_factory() as uow:
            return _visible(uow, actor, activity_id)

    def list(
        self, actor: Actor, filters: ActivityFilters, *, page_size: int, page_token: str
    ) -> Page[Activity]:
        limit = paging.page_size(page_size)
        after = paging.decode_cursor(page_token)
        with self.uow_factory() as uow:
            rows = uow.activities.list(scope_of(actor, uow.teams), filters, after, limit + 1)
        return paging.page_of(rows, limit, lambda activity: (activity.due_at, activity.id))

    def overdue(
        self, actor: Actor, owner_id: str | None, *, page_size: int, page_token: str
    ) -> Page[Activity]:
        filters = ActivityFilters(owner_id=owner_id, due_to=self.clock(), open_only=True)
        return self.list(actor, filters, page_size=page_size, page_token=page_token)

    def calendar(
        self,
        actor: Actor,
        *,
        start: datetime | None,
        end: datetime | None,
        owner_id: str | None,
    ) -> Sequence[Activity]:
        """`owner_id`'s activities (default: the caller's) due in [start, end), by due time;
        empty when the caller may not see that rep's."""
        start, end = calendar_range(start, end)
        filters = ActivityFilters(owner_id=owner_id or actor.subject, due_from=start, due_to=end)
        with self.uow_factory() as uow:
            return uow.activities.list(scope_of(actor, uow.teams), filters, None, CALENDAR_LIMIT)

    def change(
        self, actor: Actor, activity_id: UUID, expected_version: int, change: Change
    ) -> Activity:
        with self.uow_factory() as uow:
            activity = _current(uow, actor, activity_id, expected_version)
            change(activity, actor, self.clock())
            uow.activities.save(activity)
            uow.commit()
        return activity

    def complete(
        self,
        actor: Actor,
        activity_id: UUID,
        expected_version: int,
        *,
        outcome: CallOutcome | None,
        note: str,
        create_follow_up: bool,
    ) -> Completion:
        """Log it done; with `create_follow_up` its suggested follow-up is scheduled in the
        same transaction (both commit or neither)."""
        with self.uow_factory() as uow:
            activity = _current(uow, actor, activity_id, expected_version)
            now = self.clock()
            suggestion = activity.complete(actor, now, outcome, note)
            uow.activities.save(activity)
            follow_up = None
            if suggestion is not None and create_follow_up:
                follow_up = Activity.schedule(
                    id=uuid.uuid4(),
                    kind=suggestion.kind,
                    subject=suggestion.subject,
                    customer_id=suggestion.customer_id,
                    title=suggestion.title,
                    notes="",
                    owner_id=suggestion.owner_id,
                    due_at=suggestion.due_at,
                    duration_minutes=suggestion.duration_minutes,
                    actor=actor,
                    now=now,
                )
                uow.activities.add(follow_up)
            uow.commit()
        return Completion(activity, suggestion, follow_up)


def _customer_of(
    uow: ActivityUnitOfWork, scope: Scope, subject: Subject, given: UUID | None
) -> UUID | None:
    """The customer of the order, opportunity or lead the activity is about (which must exist
    and be visible to the caller), else `given`; a customer subject is its own."""
    records: dict[SubjectKind, SubjectRecords] = {
        SubjectKind.ORDER: uow.orders,
        SubjectKind.OPPORTUNITY: uow.opportunities,
        SubjectKind.LEAD: uow.leads,
    }
    if subject.kind not in records:
        return given
    record = records[subject.kind].get(subject.id)
    if record is None or not scope.admits(owner_id=record.owner_id, customer_id=record.customer_id):
        raise ValidationFailed(
            FieldViolation("subject_id", f"there is no {subject.kind} {subject.id}")
        )
    if record.customer_id is None:
        return given  # a lead not converted yet
    if given is not None and given != record.customer_id:
        raise ValidationFailed(
            FieldViolation("customer_id", f"is not the {subject.kind}'s customer")
        )
    return record.customer_id


def _visible(uow: ActivityUnitOfWork, actor: Actor, activity_id: UUID) -> Activity:
    activity = uow.activities.get(activity_id)
    if activity is None or not scope_of(actor, uow.teams).admits(
        owner_id=activity.owner_id, customer_id=activity.customer_id
    ):
        raise NotFound(f"no activity {activity_id}")
    return activity


def _current(
    uow: ActivityUnitOfWork, actor: Actor, activity_id: UUID, expected_version: int
) -> Activity:
    activity = _visible(uow, actor, activity_id)
    if expected_version and expected_version != activity.version:
        raise Conflict(
            f"activity {activity_id} is at version {activity.version}, not {expected_version}"
        )
    return activity
