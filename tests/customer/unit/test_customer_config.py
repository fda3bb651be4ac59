"""The customer service's own settings."""

from __future__ import annotations

import pytest
from crm_customer.config import PHONE_REGION_VARIABLE, default_phone_region
from crm_platform.settings import ConfigurationError


def test_phone_region_defaults_to_us() -> None:
    assert default_phone_region({}) == "US"


def test_phone_region_is_read_case_insensitively() -> None:
    assert default_phone_region({PHONE_REGION_VARIABLE: " gb "}) == "GB"


def test_an_unknown_phone_region_fails_at_start_up() -> None:
    with pytest.raises(ConfigurationError, match=PHONE_REGION_VARIABLE):
        default_phone_region({PHONE_REGION_VARIABLE: "XX"})
