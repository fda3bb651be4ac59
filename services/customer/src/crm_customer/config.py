"""The customer service's configuration: the chassis reads the shared environment (CRM_CUSTOMER_*);
this module reads what only the customer service needs. Bad values fail at start-up."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from crm_platform.settings import ConfigurationError

from crm_customer.domain.contact import is_supported_phone_region

SERVICE_NAME = "customer"
# services/customer/migrations, beside src/ (the image keeps the same layout)
MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"
PHONE_REGION_VARIABLE = "CRM_CUSTOMER_DEFAULT_PHONE_REGION"
DEFAULT_PHONE_REGION = "US"


def default_phone_region(environ: Mapping[str, str] | None = None) -> str:
    """The region (ISO 3166 alpha-2) in which phone numbers without a country code are read."""
    env = os.environ if environ is None else environ
    region = env.get(PHONE_REGION_VARIABLE, DEFAULT_PHONE_REGION).strip().upper()
    if not is_supported_phone_region(region):
        raise ConfigurationError(
            f"{SERVICE_NAME}: bad configuration: {PHONE_REGION_VARIABLE}: "
            f"{region!r} is not a region code such as US, GB or CN"
        )
    return region
