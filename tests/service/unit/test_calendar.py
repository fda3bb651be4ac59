"""Working-calendar arithmetic: business minutes between moments and a moment so many business
minutes on, across nights, weekends, public holidays and DST changes."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from crm_platform.calendar import CalendarSpec, WorkingCalendar, format_hours, parse_hours
from crm_platform.errors import ValidationFailed
from crm_service.adapters.calendars import HolidayCalendars

OFFICE = parse_hours("mon-fri 09:00-12:00,13:00-17:00")


def test_hours_are_parsed_and_formatted_back() -> None:
    week = parse_hours("mon-wed 09:00-12:00,13:00-17:00; sat 10:00-24:00")
    assert week[0] == ((540, 720), (780, 1020))
    assert week[5] == ((600, 1440),)
    assert sorted(week) == [0, 1, 2, 5]
    assert parse_hours(format_hours(week)) == week
    with pytest.raises(ValueError, match="weekday"):
        parse_hours("mon-xyz 09:00-17:00")


def test_a_bad_calendar_names_its_fields() -> None:
    with pytest.raises(ValidationFailed) as refused:
        CalendarSpec("Mars/Olympus", {0: ((600, 500),)}, "china").checked()
    fields = {violation.field for violation in refused.value.violations}
    assert fields == {"calendar.timezone", "calendar.hours", "calendar.holiday_country"}


def test_business_minutes_count_only_working_periods_of_weekdays() -> None:
    calendar = WorkingCalendar(CalendarSpec("UTC", OFFICE))
    friday_4pm = datetime(2026, 12, 4, 16, 0, tzinfo=UTC)
    monday_10am = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
    # Friday 16-17, Monday 09-10: the weekend and the nights count nothing
    assert calendar.business_minutes(friday_4pm, monday_10am) == 120
    # the lunch break is no working time
    assert calendar.business_minutes(monday_10am, datetime(2026, 12, 7, 14, 0, tzinfo=UTC)) == 180
    assert calendar.business_minutes(monday_10am, friday_4pm) == 0


def test_adding_business_minutes_skips_the_closed_hours() -> None:
    calendar = WorkingCalendar(CalendarSpec("UTC", OFFICE))
    friday_4pm = datetime(2026, 12, 4, 16, 0, tzinfo=UTC)
    assert calendar.add_business_minutes(friday_4pm, 90) == datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
    saturday = datetime(2026, 12, 5, 11, 0, tzinfo=UTC)
    assert calendar.add_business_minutes(saturday, 0) == saturday
    assert calendar.add_business_minutes(saturday, 200) == datetime(2026, 12, 7, 13, 20, tzinfo=UTC)


def test_a_timezone_shifts_the_working_day() -> None:
    calendar = WorkingCalendar(CalendarSpec("Asia/Shanghai", parse_hours("mon-fri 09:00-17:00")))
    # 08:00 UTC on a Friday is 16:00 in Shanghai: an hour left that day
    start = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)
    assert calendar.add_business_minutes(start, 120) == datetime(2026, 12, 7, 2, 0, tzinfo=UTC)


def test_public_holidays_of_the_country_are_off() -> None:
    spec = CalendarSpec("Asia/Shanghai", parse_hours("mon-fri 09:00-17:00"), "CN")
    calendar = HolidayCalendars()(spec)
    assert calendar.is_holiday(date(2026, 10, 1))  # National Day
    # Wednesday 30 September 16:00 local, two working hours on: not 1-7 October (Golden Week)
    start = datetime(2026, 9, 30, 8, 0, tzinfo=UTC)
    reached = calendar.add_business_minutes(start, 120)
    assert reached is not None
    assert reached.astimezone(ZoneInfo("Asia/Shanghai")).date() > date(2026, 10, 7)
    plain = WorkingCalendar(spec)
    assert plain.add_business_minutes(start, 120) == datetime(2026, 10, 1, 2, 0, tzinfo=UTC)


def test_an_unknown_holiday_country_is_refused() -> None:
    with pytest.raises(ValidationFailed) as refused:
        HolidayCalendars()(CalendarSpec("UTC", OFFICE, "ZZ"))
    assert refused.value.violations[0].field == "calendar.holiday_country"


def test_a_dst_day_holds_the_real_hours_of_its_wall_clock() -> None:
    around_the_clock = parse_hours("mon-sun 00:00-24:00")
    berlin = WorkingCalendar(CalendarSpec("Europe/Berlin", around_the_clock))
    # Sunday 29 March 2026 springs forward: its local day is 23 hours long, 25 on 25 October
    assert (
        berlin.business_minutes(
            datetime(2026, 3, 28, 23, 0, tzinfo=UTC), datetime(2026, 3, 29, 22, 0, tzinfo=UTC)
        )
        == 23 * 60
    )
    assert (
        berlin.business_minutes(
            datetime(2026, 10, 24, 22, 0, tzinfo=UTC), datetime(2026, 10, 25, 23, 0, tzinfo=UTC)
        )
        == 25 * 60
    )
    office = WorkingCalendar(CalendarSpec("Europe/Berlin", parse_hours("mon-fri 09:00-17:00")))
    # 09:00 in Berlin is 08:00 UTC on the Friday before the change, 07:00 UTC on the Monday after
    friday = datetime(2026, 3, 27, 7, 0, tzinfo=UTC)
    assert office.business_minutes(friday, datetime(2026, 3, 27, 9, 0, tzinfo=UTC)) == 60
    closed = datetime(2026, 3, 27, 16, 0, tzinfo=UTC)
    assert office.add_business_minutes(closed, 60) == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)
