"""The customer service's own settings, read with the chassis' from the environment."""

from __future__ import annotations

import pytest
from crm_customer.config import SERVICE_NAME, CustomerSettings
from crm_platform.settings import ConfigurationError

VARIABLE = "CRM_CUSTOMER_DEFAULT_PHONE_REGION"


def test_phone_region_defaults_to_us() -> None:
    settings = CustomerSettings.from_env(SERVICE_NAME, {})
    assert settings.default_phone_region == "US"
    assert settings.port == 50051  # the chassis' settings come along


def test_phone_region_is_read_case_insensitively() -> None:
    assert CustomerSettings.from_env(SERVICE_NAME, {VARIABLE: " gb "}).default_phone_region == "GB"


def test_an_unknown_phone_region_fails_at_start_up_naming_the_variable() -> None:
    with pytest.raises(ConfigurationError, match=VARIABLE):
        CustomerSettings.from_env(SERVICE_NAME, {VARIABLE: "XX"})
