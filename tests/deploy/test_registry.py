"""The registry of services agrees with itself and with the tree: one entry per services/<name>
folder, distinct ports, known callees, a database exactly when the service has migrations, a
consumer table exactly when it consumes."""

from __future__ import annotations

import importlib

import pytest
from crm_platform import amqp, registry
from crm_platform.registry import ServiceSpec

from tests.deploy.support import ROOT, service_dirs


def test_every_service_folder_is_registered_and_every_entry_has_its_folder() -> None:
    assert sorted(registry.names()) == service_dirs()


def test_names_and_ports_are_distinct() -> None:
    names = registry.names()
    assert len(set(names)) == len(names)
    ports = [p for spec in registry.SERVICES for p in (spec.port, spec.metrics_port)]
    assert len(set(ports)) == len(ports), "two services share a port"


def test_calls_name_registered_services_other_than_the_caller() -> None:
    for spec in registry.SERVICES:
        for callee in spec.calls:
            assert callee != spec.name, f"{spec.name} calls itself"
            assert callee in registry.names(), f"{spec.name} calls unknown {callee}"
    assert registry.callers("identity"), "nothing gets its token keys from identity"


def test_one_gateway() -> None:
    assert [s.name for s in registry.SERVICES if s.kind == "gateway"] == ["portal"]


@pytest.mark.parametrize("spec", registry.SERVICES, ids=lambda s: s.name)
def test_database_means_migrations(spec: ServiceSpec) -> None:
    folder = ROOT / "services" / spec.name
    assert (folder / "alembic.ini").exists() == spec.database
    assert (folder / "migrations").is_dir() == spec.database


@pytest.mark.parametrize("spec", registry.SERVICES, ids=lambda s: s.name)
def test_consumes_means_a_consumer_table(spec: ServiceSpec) -> None:
    consumer = ROOT / "services" / spec.name / "src" / spec.package / "entrypoints" / "consumer.py"
    assert consumer.exists() == spec.consumes
    assert ("consumer" in spec.roles) == spec.consumes
    if spec.consumes:
        module = importlib.import_module(f"{spec.package}.entrypoints.consumer")
        subscription = module.HANDLERS.subscription
        assert isinstance(subscription, amqp.Subscription)
        assert subscription.queue == amqp.queue_name(spec.name)
        assert subscription.patterns


@pytest.mark.parametrize("spec", registry.SERVICES, ids=lambda s: s.name)
def test_secrets_are_kubernetes_names_with_a_dev_value(spec: ServiceSpec) -> None:
    for setting in spec.secrets:
        assert setting.variable.startswith("CRM_")
        assert setting.secret.startswith(f"{spec.name}-"), "a service's Secrets carry its name"
        assert setting.dev_value, f"{setting.variable}: compose and the dev overlay need a value"
