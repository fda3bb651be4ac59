"""Settings fail fast, and the message names the environment variable to fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from crm_platform.settings import DEFAULT_AMQP_URL, ConfigurationError, ServiceSettings
from pydantic import Field


def test_defaults_on_a_bare_machine(tmp_path):
    settings = ServiceSettings.from_env("customer", {"CRM_DATA_DIR": str(tmp_path)})
    assert settings.port == 50051
    assert settings.metrics_port == 9101
    assert settings.amqp_url == DEFAULT_AMQP_URL
    assert settings.database_url == f"sqlite:///{Path(tmp_path).resolve() / 'customer.db'}"
    assert settings.grpc_targets["analytics"] == "127.0.0.1:50056"
    assert "portal" not in settings.grpc_targets
    assert settings.log_level == "INFO"
    assert settings.redis_url is None


def test_environment_overrides():
    settings = ServiceSettings.from_env(
        "analytics",
        {
            "CRM_ANALYTICS_DATABASE_URL": "postgresql://u@db/analytics",
            "CRM_AMQP_URL": "amqps://u:p@mq/crm",
            "CRM_ANALYTICS_PORT": "6000",
            "CRM_ANALYTICS_METRICS_PORT": "0",
            "CRM_LOG_LEVEL": "debug",
            "CRM_CUSTOMER_GRPC_TARGET": "customer:50051",
            "CRM_REDIS_URL": "redis://cache:6379/1",
        },
    )
    assert settings.database_url == "postgresql://u@db/analytics"
    assert settings.amqp_url == "amqps://u:p@mq/crm"
    assert (settings.port, settings.metrics_port) == (6000, 0)
    assert settings.log_level == "DEBUG"
    assert settings.grpc_targets["customer"] == "customer:50051"
    assert settings.redis_url == "redis://cache:6379/1"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("CRM_CUSTOMER_PORT", "fifty"),
        ("CRM_CUSTOMER_PORT", "70000"),
        ("CRM_CUSTOMER_METRICS_PORT", "-1"),
        ("CRM_AMQP_URL", "http://127.0.0.1:5672/"),
        ("CRM_CUSTOMER_DATABASE_URL", "mysql://db/customer"),
        ("CRM_LOG_LEVEL", "chatty"),
        ("CRM_REDIS_URL", "127.0.0.1:6379"),
    ],
)
def test_bad_value_fails_naming_the_variable(variable, value):
    with pytest.raises(ConfigurationError) as failure:
        ServiceSettings.from_env("customer", {variable: value})
    message = str(failure.value)
    assert message.startswith("customer: bad configuration: ")
    assert variable in message


def test_every_problem_is_reported_at_once():
    with pytest.raises(ConfigurationError) as failure:
        ServiceSettings.from_env(
            "customer", {"CRM_CUSTOMER_PORT": "x", "CRM_AMQP_URL": "nope", "CRM_LOG_LEVEL": "x"}
        )
    message = str(failure.value)
    for variable in ("CRM_CUSTOMER_PORT", "CRM_AMQP_URL", "CRM_LOG_LEVEL"):
        assert variable in message


def test_a_service_without_default_ports_must_be_given_one():
    with pytest.raises(ConfigurationError, match="CRM_BILLING_PORT"):
        ServiceSettings.from_env("billing", {})


class BillingSettings(ServiceSettings):
    invoice_days: int = Field(default=30, ge=1)  # CRM_BILLING_INVOICE_DAYS
    currency: str = Field(default="EUR", validation_alias="CRM_CURRENCY")


def test_a_service_extends_the_settings_with_its_own_variables():
    settings = BillingSettings.from_env(
        "billing",
        {
            "CRM_BILLING_PORT": "50099",
            "CRM_BILLING_METRICS_PORT": "0",
            "CRM_BILLING_INVOICE_DAYS": "14",
            "CRM_CURRENCY": "CNY",
        },
    )
    assert (settings.invoice_days, settings.currency, settings.port) == (14, "CNY", 50099)


def test_a_bad_value_of_a_service_field_names_its_variable():
    with pytest.raises(ConfigurationError, match="CRM_BILLING_INVOICE_DAYS"):
        BillingSettings.from_env(
            "billing",
            {
                "CRM_BILLING_PORT": "1",
                "CRM_BILLING_METRICS_PORT": "0",
                "CRM_BILLING_INVOICE_DAYS": "0",
            },
        )


def test_settings_built_directly_default_the_ports_and_targets_from_the_registry():
    settings = ServiceSettings(service="analytics", database_url="sqlite://")
    assert (settings.port, settings.metrics_port) == (50056, 9106)
    assert settings.grpc_targets["identity"] == "127.0.0.1:50057"
