"""The customer service's settings: the chassis' (CRM_CUSTOMER_*, CRM_*) and its own. Bad
values fail at start-up, naming the variable."""

from __future__ import annotations

from pathlib import Path

from crm_platform.settings import ServiceSettings
from pydantic import field_validator

from crm_customer.domain.contact import is_supported_phone_region

SERVICE_NAME = "customer"
# services/customer/migrations, beside src/ (the image keeps the same layout)
MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


class CustomerSettings(ServiceSettings):
    # CRM_CUSTOMER_DEFAULT_PHONE_REGION: the region (ISO 3166 alpha-2) in which phone numbers
    # without a country code are read
    default_phone_region: str = "US"

    @field_validator("default_phone_region")
    @classmethod
    def _supported_region(cls, value: str) -> str:
        region = value.strip().upper()
        if not is_supported_phone_region(region):
            raise ValueError(f"{region!r} is not a region code such as US, GB or CN")
        return region
