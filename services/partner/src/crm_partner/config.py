"""The partner service's settings: the chassis' (CRM_PARTNER_*, CRM_*) and its own. Bad values
fail at start-up, naming the variable."""

from __future__ import annotations

from pathlib import Path

from crm_platform.calendar import CalendarSpec, WorkingCalendar, parse_hours
from crm_platform.errors import ValidationFailed
from crm_platform.settings import ServiceSettings
from pydantic import Field, field_validator

SERVICE_NAME = "partner"
# services/partner/migrations, beside src/ (the image keeps the same layout)
MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


class PartnerSettings(ServiceSettings):
    # CRM_PARTNER_ANSWER_MINUTES: a partner answers an offer within this many business minutes
    # of the working calendar below (one working day by default)
    answer_minutes: int = Field(default=480, ge=1, le=525600)
    timezone: str = "UTC"  # IANA, of the working calendar
    hours: str = "mon-fri 09:00-17:00"  # as service's SLA calendars: "mon-fri 09:00-17:00"
    # the deadlines role looks for offers past their deadline this often
    deadlines_interval_seconds: float = Field(default=30.0, gt=0, le=3600)
    # A file holding a number of seconds added to the clock of the handlers and the deadlines
    # role, read anew on every look: lets a test environment move time forward. Unset in
    # production.
    clock_offset_file: Path | None = None

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        return _checked(value, "mon 00:00-24:00").timezone

    @field_validator("hours")
    @classmethod
    def _working_hours(cls, value: str) -> str:
        _checked("UTC", value)
        return value

    def calendar(self) -> WorkingCalendar:
        return WorkingCalendar(_checked(self.timezone, self.hours))


def _checked(timezone: str, hours: str) -> CalendarSpec:
    # pydantic reports a ValueError as the setting's problem, naming the variable
    try:
        return CalendarSpec(timezone, parse_hours(hours)).checked()
    except ValidationFailed as exc:
        raise ValueError(str(exc)) from None
