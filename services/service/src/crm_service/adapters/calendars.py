"""Working calendars that know the public holidays of their country, from the `holidays`
package (its table of a country grows by the years asked about: guarded by a lock, as the
gRPC threads share it)."""

from __future__ import annotations

import threading
from datetime import date

import holidays
from crm_platform.calendar import CalendarSpec, WorkingCalendar
from crm_platform.errors import FieldViolation, ValidationFailed


class HolidayCalendars:
    def __init__(self) -> None:
        self._tables: dict[str, holidays.HolidayBase] = {}
        self._lock = threading.Lock()

    def __call__(self, spec: CalendarSpec) -> WorkingCalendar:
        """The calendar of `spec`; ValidationFailed when its country has no holiday table."""
        country = spec.holiday_country
        if not country:
            return WorkingCalendar(spec)
        self._table(country)
        return WorkingCalendar(spec, lambda day: self._is_holiday(country, day))

    def _table(self, country: str) -> holidays.HolidayBase:
        with self._lock:
            table = self._tables.get(country)
            if table is None:
                try:
                    table = holidays.country_holidays(country)
                except NotImplementedError:
                    raise ValidationFailed(
                        FieldViolation(
                            "calendar.holiday_country", f"no public holidays known for {country}"
                        )
                    ) from None
                self._tables[country] = table
            return table

    def _is_holiday(self, country: str, day: date) -> bool:
        table = self._table(country)
        with self._lock:
            return day in table
