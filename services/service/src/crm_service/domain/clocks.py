"""The SLA clocks of a case. Each case has two, fixed when it opens: first response (stopped
by the first reply the customer sees from staff) and resolution (stopped by resolving it).
Both count from the opening, only in the working time of their calendar, and not while the
case waits on the customer or lies resolved (a reopened case goes on from where it stopped).
A clock is ongoing, met or breached; its warning and its breach are recorded on it once each,
when the jobs role notices them. Pure Python; times are UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from crm_platform.calendar import CalendarSpec, WorkingCalendar


class ClockKind(StrEnum):
    FIRST_RESPONSE = "first_response"
    RESOLUTION = "resolution"


class ClockState(StrEnum):
    ONGOING = "ongoing"
    MET = "met"
    BREACHED = "breached"


Pause = tuple[datetime, datetime | None]  # (from, until; None: still paused)


@dataclass
class SlaClock:
    """One clock of a case, as fixed at its opening, with what the jobs role recorded."""

    kind: ClockKind
    target_minutes: int
    calendar: CalendarSpec
    agreement_id: UUID | None  # None: the default policy
    warned_at: datetime | None = None
    breached_at: datetime | None = None


@dataclass(frozen=True)
class ClockView:
    """A clock at a moment."""

    kind: ClockKind
    state: ClockState
    target_minutes: int
    elapsed_minutes: int
    remaining_minutes: int  # negative: past the target
    stopped: bool  # by the first response, or the resolution
    running: bool  # false: stopped, or paused while the case waits
    target_at: datetime | None  # when it reaches the target, if it runs on from now
    warned_at: datetime | None
    breached_at: datetime | None
    agreement_id: UUID | None

    def due_warning(self, share: float) -> bool:
        """Not stopped, past `share` of its target, and not warned yet (a clock that jumped
        past its target is warned too: no warning is lost)."""
        return (
            not self.stopped
            and self.warned_at is None
            and self.elapsed_minutes >= share * self.target_minutes
        )

    @property
    def due_breach(self) -> bool:
        return (
            not self.stopped
            and self.breached_at is None
            and self.elapsed_minutes >= self.target_minutes
        )


def clock_view(
    clock: SlaClock,
    calendar: WorkingCalendar,
    *,
    opened_at: datetime,
    stopped_at: datetime | None,
    pauses: list[Pause],
    now: datetime,
) -> ClockView:
    end = min(stopped_at, now) if stopped_at is not None else now
    elapsed = calendar.business_seconds(opened_at, end)
    paused_now = False
    for start, until in pauses:
        if until is None:
            paused_now = True
        elapsed -= calendar.business_seconds(max(start, opened_at), min(until or end, end))
    minutes = int(max(elapsed, 0) // 60)
    remaining = clock.target_minutes - minutes
    running = stopped_at is None and not paused_now
    if clock.breached_at is not None or minutes >= clock.target_minutes:
        state = ClockState.BREACHED
    elif stopped_at is not None:
        state = ClockState.MET
    else:
        state = ClockState.ONGOING
    target_at = clock.breached_at
    if running and remaining > 0:
        target_at = calendar.add_business_minutes(now, remaining)
    return ClockView(
        kind=clock.kind,
        state=state,
        target_minutes=clock.target_minutes,
        elapsed_minutes=minutes,
        remaining_minutes=remaining,
        stopped=stopped_at is not None,
        running=running,
        target_at=target_at,
        warned_at=clock.warned_at,
        breached_at=clock.breached_at,
        agreement_id=clock.agreement_id,
    )
