"""The marketing service's settings: the chassis' (CRM_MARKETING_*, CRM_*) and its own. Bad
values fail at start-up, naming the variable."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from crm_platform.mail import DEFAULT_SMTP_URL, smtp_url_checked
from crm_platform.settings import ServiceSettings
from pydantic import Field, field_validator

SERVICE_NAME = "marketing"
# services/marketing/migrations, beside src/ (the image keeps the same layout)
MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


class MarketingSettings(ServiceSettings):
    # CRM_SMTP_URL: where campaign e-mail is handed over (smtp://host:port; `make run`'s sink)
    smtp_url: str = Field(default=DEFAULT_SMTP_URL, validation_alias="CRM_SMTP_URL")
    # the From of campaign e-mail, and the mailbox of the List-Unsubscribe mailto
    mail_from: str = "Guanxi <marketing@localhost>"
    unsubscribe_mailbox: str = "unsubscribe@localhost"
    # the gateway's address as people reach it: the base of the tracking links
    public_url: str = "http://127.0.0.1:8080"
    # signs the tracking links (CRM_MARKETING_TRACKING_SECRET; a Secret in Kubernetes); unset
    # (a laptop's `make run`): a fixed development secret, with a warning at start
    tracking_secret: str | None = Field(default=None, min_length=16, repr=False)
    # messages per second the sender hands the SMTP server, at most
    send_rate: float = Field(default=5.0, gt=0)
    # attempts of one message before a temporary failure bounces it, and the first backoff
    send_attempts: int = Field(default=5, ge=1)
    retry_backoff_seconds: float = Field(default=30.0, ge=0)

    @field_validator("smtp_url")
    @classmethod
    def _smtp(cls, value: str) -> str:
        return smtp_url_checked(value)

    @field_validator("public_url")
    @classmethod
    def _public(cls, value: str) -> str:
        if urlsplit(value).scheme not in ("http", "https"):
            raise ValueError("not an http(s) URL")
        return value.rstrip("/")
