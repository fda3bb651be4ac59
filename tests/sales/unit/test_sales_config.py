"""The sales service's own settings, read with the chassis' from the environment."""

from __future__ import annotations

from decimal import Decimal

import pytest
from crm_platform.settings import ConfigurationError
from crm_sales.adapters.price_lists import GrpcPriceLists
from crm_sales.bootstrap import price_lists
from crm_sales.config import SERVICE_NAME, SalesSettings

VARIABLE = "CRM_SALES_DISCOUNT_APPROVAL_PERCENT"


def test_the_discount_approval_threshold_defaults_to_15_percent() -> None:
    settings = SalesSettings.from_env(SERVICE_NAME, {})

    assert settings.discount_approval_percent == Decimal(15)
    assert settings.port == 50053  # the chassis' settings come along


def test_the_threshold_is_read_as_a_decimal() -> None:
    settings = SalesSettings.from_env(SERVICE_NAME, {VARIABLE: "12.5"})

    assert settings.discount_approval_percent == Decimal("12.5")


@pytest.mark.parametrize("value", ["101", "-1", "12.345", "lots"])
def test_a_bad_threshold_fails_at_start_up_naming_the_variable(value: str) -> None:
    with pytest.raises(ConfigurationError, match=VARIABLE):
        SalesSettings.from_env(SERVICE_NAME, {VARIABLE: value})


def test_with_marketing_in_the_registry_lines_are_priced_by_its_price_lists() -> None:
    assert isinstance(price_lists(SalesSettings.from_env(SERVICE_NAME, {})), GrpcPriceLists)
