"""Working calendars: the business hours a deadline counts (service's SLA clocks, partner's
answer deadlines). A week of working periods in a timezone, less the public holidays of a
country (the caller says which dates are holidays). Periods are minutes of the local day
(0-1440), so a day's hours stay the same wall-clock hours across a DST change while the
minutes they hold follow the real clock. Pure Python; times in and out are UTC and tz-aware.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from crm_platform.errors import FieldViolation, ValidationFailed

DAY_MINUTES = 24 * 60
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# a target further out than this many days of calendar time is unreachable (no working hours)
SEARCH_DAYS = 3660

Period = tuple[int, int]  # [start, end) in minutes of the local day


@dataclass(frozen=True)
class CalendarSpec:
    """What a working calendar is, as stored and as given: the timezone (IANA name), the
    working periods of each weekday (0 = Monday) and the country whose public holidays are off
    ("": none)."""

    timezone: str
    week: Mapping[int, tuple[Period, ...]]
    holiday_country: str = ""

    def checked(self) -> CalendarSpec:
        violations = []
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            violations.append(FieldViolation("calendar.timezone", "is not an IANA timezone"))
        week: dict[int, tuple[Period, ...]] = {}
        for day, periods in self.week.items():
            ordered = tuple(sorted(periods))
            if day not in range(7):
                violations.append(FieldViolation("calendar.hours", f"no weekday {day}"))
            elif any(not 0 <= start < end <= DAY_MINUTES for start, end in ordered) or any(
                ordered[i][1] > ordered[i + 1][0] for i in range(len(ordered) - 1)
            ):
                violations.append(
                    FieldViolation(
                        "calendar.hours",
                        f"{WEEKDAYS[day]}: periods must be within the day and not overlap",
                    )
                )
            elif ordered:
                week[day] = ordered
        if not week and not violations:
            violations.append(FieldViolation("calendar.hours", "give one working period at least"))
        country = self.holiday_country.strip().upper()
        if country and (len(country) != 2 or not country.isalpha()):
            violations.append(
                FieldViolation("calendar.holiday_country", "must be an ISO 3166 country code")
            )
        if violations:
            raise ValidationFailed(violations)
        return CalendarSpec(self.timezone, week, country)


def parse_hours(text: str) -> dict[int, tuple[Period, ...]]:
    """ "mon-fri 09:00-12:00,13:00-17:00; sat 10:00-14:00" -> the week of a CalendarSpec
    (24:00 ends a day)."""
    week: dict[int, list[Period]] = {}
    for part in filter(None, (chunk.strip() for chunk in text.split(";"))):
        days_text, _, periods_text = part.partition(" ")
        first, _, last = days_text.lower().partition("-")
        if first not in WEEKDAYS or (last and last not in WEEKDAYS):
            raise ValueError(f"{days_text!r} is not a weekday or a range of them")
        start_day, end_day = WEEKDAYS.index(first), WEEKDAYS.index(last or first)
        periods = [_period(chunk.strip()) for chunk in periods_text.split(",") if chunk.strip()]
        for day in range(start_day, end_day + 1):
            week.setdefault(day, []).extend(periods)
    return {day: tuple(sorted(periods)) for day, periods in week.items()}


def format_hours(week: Mapping[int, tuple[Period, ...]]) -> str:
    return "; ".join(
        f"{WEEKDAYS[day]} " + ",".join(f"{_hhmm(start)}-{_hhmm(end)}" for start, end in periods)
        for day, periods in sorted(week.items())
    )


def _period(text: str) -> Period:
    start, _, end = text.partition("-")
    return _minutes(start), _minutes(end)


def _minutes(text: str) -> int:
    hours, _, minutes = text.strip().partition(":")
    if not (hours.isdigit() and minutes.isdigit()):
        raise ValueError(f"{text!r} is not a time of day (HH:MM)")
    return int(hours) * 60 + int(minutes)


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass(frozen=True)
class WorkingCalendar:
    """A CalendarSpec that can count: `is_holiday` says which local dates are off."""

    spec: CalendarSpec
    is_holiday: Callable[[date], bool] = lambda day: False
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_zone", ZoneInfo(self.spec.timezone))

    def business_seconds(self, start: datetime, end: datetime) -> float:
        """The working time between two moments."""
        if end <= start:
            return 0.0
        total = 0.0
        for opens, closes in self._periods_from(start):
            if opens >= end:
                break
            total += (min(closes, end) - max(opens, start)).total_seconds()
        return total

    def business_minutes(self, start: datetime, end: datetime) -> int:
        return int(self.business_seconds(start, end) // 60)

    def add_business_minutes(self, start: datetime, minutes: float) -> datetime | None:
        """The moment `minutes` of working time after `start` (None: never, in the years
        searched)."""
        left = minutes * 60
        if left <= 0:
            return start
        for opens, closes in self._periods_from(start):
            begin = max(opens, start)
            available = (closes - begin).total_seconds()
            if available >= left:
                return begin + timedelta(seconds=left)
            left -= available
        return None

    def _periods_from(self, start: datetime) -> Iterator[tuple[datetime, datetime]]:
        """The working periods (UTC) that end after `start`, in order."""
        day = start.astimezone(self._zone).date() - timedelta(days=1)  # a period may span it
        for _ in range(SEARCH_DAYS):
            if not self.is_holiday(day):
                for first, last in self.spec.week.get(day.weekday(), ()):
                    opens, closes = self._moment(day, first), self._moment(day, last)
                    if closes > start and closes > opens:
                        yield opens, closes
            day += timedelta(days=1)

    def _moment(self, day: date, minutes: int) -> datetime:
        # wall-clock arithmetic: 09:00 is 09:00 local whatever the DST offset that day, and
        # 24:00 is the next midnight; a time a spring-forward skips maps past the gap
        wall = datetime.combine(day, time()) + timedelta(minutes=minutes)
        return wall.replace(tzinfo=self._zone).astimezone(UTC)
