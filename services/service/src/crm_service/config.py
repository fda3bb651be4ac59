"""The service (support) service's settings: the chassis' (CRM_SERVICE_*, CRM_*) and its own.
Bad values fail at start-up, naming the variable."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from crm_platform.calendar import CalendarSpec, parse_hours
from crm_platform.errors import ValidationFailed
from crm_platform.mail import DEFAULT_SMTP_URL, smtp_url_checked
from crm_platform.settings import ServiceSettings
from pydantic import Field, field_validator

SERVICE_NAME = "service"
# services/service/migrations, beside src/ (the image keeps the same layout)
MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


class SupportSettings(ServiceSettings):
    # CRM_SERVICE_REOPEN_WINDOW_DAYS: a resolved case may be reopened this many days after its
    # resolution; later, the customer opens a new one
    reopen_window_days: int = Field(default=14, ge=0, le=365)
    # CRM_SERVICE_AUTO_CLOSE_DAYS: a resolved case closes by itself this many days after its
    # resolution (the sla role); the customer may still reopen it within the reopen window
    auto_close_days: float = Field(default=7, gt=0, le=365)
    # The default SLA policy, for the cases of customers without an agreement: targets in
    # business minutes of the default working calendar
    sla_first_response_minutes: int = Field(default=240, ge=1, le=525600)
    sla_resolution_minutes: int = Field(default=2880, ge=1, le=525600)
    sla_timezone: str = "UTC"  # IANA
    sla_hours: str = "mon-fri 09:00-17:00"  # as a WorkingCalendar's hours (sla.proto)
    sla_holiday_country: str = ""  # ISO 3166 code: its public holidays are off
    # the jobs role (sla): a SlaWarning once a clock has used this share of its target
    sla_warning_share: float = Field(default=0.8, gt=0, lt=1)
    sla_interval_seconds: float = Field(default=30.0, gt=0, le=3600)
    # A file holding a number of seconds added to the clock of the handlers, the jobs role and
    # the sender, read anew on every look: lets a test environment move time forward. Unset in
    # production.
    clock_offset_file: Path | None = None

    # the mail role: the SMTP listener for mail to the support address; without a port it
    # listens nowhere (every stack of the tests runs the role, and no two may share a port)
    mail_host: str = "127.0.0.1"
    mail_port: int | None = Field(default=None, ge=1, le=65535)
    mail_max_bytes: int = Field(default=25 * 1024 * 1024, ge=1024)  # a whole message
    attachment_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1)  # each attachment

    # the sender role: replies and surveys to the cases' contacts, handed over at CRM_SMTP_URL
    # (marketing's too), from this address (its domain ends the Message-IDs)
    smtp_url: str = Field(default=DEFAULT_SMTP_URL, validation_alias="CRM_SMTP_URL")
    mail_from: str = "Guanxi support <support@localhost>"
    # attempts of one mail before a temporary failure fails it, and the first backoff
    send_attempts: int = Field(default=5, ge=1)
    retry_backoff_seconds: float = Field(default=30.0, ge=0)

    # the gateway's address as people reach it: the base of the survey links
    public_url: str = "http://127.0.0.1:8080"
    # signs the survey links (CRM_SERVICE_SURVEY_SECRET; a Secret in Kubernetes); unset (a
    # laptop's `make run`): a fixed development secret, with a warning at start
    survey_secret: str | None = Field(default=None, min_length=16, repr=False)

    @field_validator("public_url")
    @classmethod
    def _public(cls, value: str) -> str:
        if urlsplit(value).scheme not in ("http", "https"):
            raise ValueError("not an http(s) URL")
        return value.rstrip("/")

    @field_validator("smtp_url")
    @classmethod
    def _smtp(cls, value: str) -> str:
        return smtp_url_checked(value)

    @field_validator("sla_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        return _calendar_checked(value, "mon 00:00-24:00").timezone

    @field_validator("sla_hours")
    @classmethod
    def _working_hours(cls, value: str) -> str:
        _calendar_checked("UTC", value)
        return value

    @field_validator("sla_holiday_country")
    @classmethod
    def _country_code(cls, value: str) -> str:
        return _calendar_checked("UTC", "mon 00:00-24:00", value).holiday_country

    def default_calendar(self) -> CalendarSpec:
        return _calendar_checked(self.sla_timezone, self.sla_hours, self.sla_holiday_country)


def _calendar_checked(timezone: str, hours: str, country: str = "") -> CalendarSpec:
    # pydantic reports a ValueError as the setting's problem, naming the variable
    try:
        return CalendarSpec(timezone, parse_hours(hours), country).checked()
    except ValidationFailed as exc:
        raise ValueError(str(exc)) from None
