"""The service (support) service's settings: the chassis' (CRM_SERVICE_*, CRM_*) and its own.
Bad values fail at start-up, naming the variable."""

from __future__ import annotations

from pathlib import Path

from crm_platform.settings import ServiceSettings
from pydantic import Field

SERVICE_NAME = "service"
# services/service/migrations, beside src/ (the image keeps the same layout)
MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


class SupportSettings(ServiceSettings):
    # CRM_SERVICE_REOPEN_WINDOW_DAYS: a resolved case may be reopened this many days after its
    # resolution; later, the customer opens a new one
    reopen_window_days: int = Field(default=14, ge=0, le=365)
