"""The customer service's settings: the chassis' (CRM_CUSTOMER_*, CRM_*) and its own. Bad
values fail at start-up, naming the variable."""

from __future__ import annotations

import functools
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from crm_platform.settings import ServiceSettings
from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from crm_customer.domain.contact import is_supported_phone_region
from crm_customer.domain.loyalty import LoyaltyProgram

SERVICE_NAME = "customer"
# services/customer/migrations, beside src/ (the image keeps the same layout)
MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


class CustomerSettings(ServiceSettings):
    # CRM_CUSTOMER_DEFAULT_PHONE_REGION: the region (ISO 3166 alpha-2) in which phone numbers
    # without a country code are read
    default_phone_region: str = "US"
    # CRM_CUSTOMER_IMPORT_LEASE_SECONDS: how long an importer holds an import without writing
    # a batch before another importer may take it over (one that died mid-file)
    import_lease_seconds: float = Field(default=60.0, gt=0)
    # CRM_CUSTOMER_IMPORT_BATCH_SIZE: rows per transaction of an import job
    import_batch_size: int = Field(default=500, ge=1)

    @field_validator("default_phone_region")
    @classmethod
    def _supported_region(cls, value: str) -> str:
        region = value.strip().upper()
        if not is_supported_phone_region(region):
            raise ValueError(f"{region!r} is not a region code such as US, GB or CN")
        return region


class LoyaltySettings(BaseSettings):
    """The loyalty program, CRM_CUSTOMER_LOYALTY_*: a point per `earn_per` of a paid order,
    worth `point_value` off an order, unspent points expiring after `expiry_days`, the tiers at
    the points earned over a year."""

    model_config = SettingsConfigDict(env_prefix="CRM_CUSTOMER_LOYALTY_")

    earn_per: Decimal = Field(default=Decimal(10), gt=0)
    point_value: Decimal = Field(default=Decimal("0.1"), gt=0)
    expiry_days: int = Field(default=365, ge=1)
    silver_points: int = Field(default=1000, ge=1)
    gold_points: int = Field(default=5000, ge=1)

    @model_validator(mode="after")
    def _tiers_in_order(self) -> LoyaltySettings:
        if self.gold_points <= self.silver_points:
            raise ValueError("CRM_CUSTOMER_LOYALTY_GOLD_POINTS must be above the silver points")
        return self


@functools.cache
def loyalty_program() -> LoyaltyProgram:
    """This process's program, read from the environment once (a bad value stops the first
    command or event that needs it, naming the variable)."""
    settings = LoyaltySettings()
    return LoyaltyProgram(
        earn_per=settings.earn_per,
        point_value=settings.point_value,
        expiry=timedelta(days=settings.expiry_days),
        silver_points=settings.silver_points,
        gold_points=settings.gold_points,
    )
