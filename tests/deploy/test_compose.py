"""The compose stack: parses, every long-running service has a health check, migrations are
one-shot services the apps wait for (service_completed_successfully), one PostgreSQL per service,
pinned images, and the files it mounts exist."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from tests.deploy.support import (
    COMPOSE_FILE,
    SPECS,
    has_database,
    has_exact_version,
    services,
)

CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document = yaml.safe_load(COMPOSE_FILE.read_text())
    assert isinstance(document, dict)
    return document


def is_one_shot(service: dict[str, Any]) -> bool:
    return service.get("restart", "no") == "no" and service.get("command") == ["migrate"]


def test_compose_parses(compose: dict[str, Any]) -> None:
    assert compose["services"]
    for name, service in compose["services"].items():
        assert "image" in service or "build" in service, name
        for dependency, condition in service.get("depends_on", {}).items():
            assert dependency in compose["services"], f"{name} depends on unknown {dependency}"
            assert condition["condition"] in CONDITIONS, f"{name} -> {dependency}"


def test_every_long_running_service_has_a_health_check(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        if is_one_shot(service):
            assert "healthcheck" not in service, f"one-shot {name} needs no health check"
            continue
        check = service.get("healthcheck")
        assert check, f"{name}: no healthcheck"
        assert check.get("test"), f"{name}: healthcheck without a test"
        assert not check.get("disable"), f"{name}: healthcheck disabled"


def test_one_shot_services_are_waited_for(compose: dict[str, Any]) -> None:
    services = compose["services"]
    one_shots = {name for name, s in services.items() if is_one_shot(s)}
    assert one_shots, "no migration services"
    for one_shot in one_shots:
        dependents = [s for s in services.values() if one_shot in s.get("depends_on", {})]
        assert dependents, f"nothing waits for {one_shot}"
        for dependent in dependents:
            condition = dependent["depends_on"][one_shot]["condition"]
            assert condition == "service_completed_successfully", one_shot
    for name, service in services.items():
        for dependency, condition in service.get("depends_on", {}).items():
            if dependency not in one_shots:
                assert condition["condition"] == "service_healthy", f"{name} -> {dependency}"


@pytest.mark.parametrize("name", services())
def test_each_service_runs_from_its_image(compose: dict[str, Any], name: str) -> None:
    services = compose["services"]
    assert name in services, f"compose has no {name}"
    spec = SPECS[name]
    app = services[name]
    assert app.get("read_only") is True
    assert app.get("cap_drop") == ["ALL"]
    assert app.get("user") not in (None, "0", "root")
    assert app["command"] == [spec.default_role]
    assert app["ports"] == [f"127.0.0.1:{spec.port}:{spec.port}"]
    health = " ".join(app["healthcheck"]["test"])
    assert f":{spec.metrics_port}/readyz" in health
    url = f"CRM_{name.upper()}_DATABASE_URL"
    if has_database(name):
        migrate, database = services[f"{name}-migrate"], services[f"{name}-db"]
        assert migrate["image"] == app["image"]
        assert migrate["command"] == ["migrate"]
        assert app["depends_on"][f"{name}-migrate"]["condition"] == "service_completed_successfully"
        assert migrate["depends_on"][f"{name}-db"]["condition"] == "service_healthy"
        assert f"@{name}-db:5432/" in app["environment"][url]
        assert app["environment"][url] == migrate["environment"][url]
        assert database["image"].startswith("postgres:")
    else:
        assert url not in app["environment"]
        assert f"{name}-migrate" not in services
        assert f"{name}-db" not in services


@pytest.mark.parametrize("name", services())
def test_each_service_has_its_settings(compose: dict[str, Any], name: str) -> None:
    """The broker, where every gRPC service answers (keys come from identity, not a JWKS URL),
    and the service's own secrets with their dev-only values."""
    environment = compose["services"][name]["environment"]
    assert environment["CRM_AMQP_URL"].startswith("amqp://")
    for spec in SPECS.values():
        if spec.kind == "grpc":
            assert environment[f"CRM_{spec.name.upper()}_GRPC_TARGET"] == f"{spec.name}:{spec.port}"
    assert "CRM_JWKS_URL" not in environment
    for setting in SPECS[name].secrets:
        assert environment[setting.variable] == setting.dev_value


def test_the_infrastructure_is_there(compose: dict[str, Any]) -> None:
    running = compose["services"]
    for name in ("rabbitmq", "redis", "prometheus"):
        assert name in running
    assert "management" in running["rabbitmq"]["image"]
    databases = [n for n, s in running.items() if str(s.get("image", "")).startswith("postgres:")]
    assert sorted(databases) == sorted(f"{s}-db" for s in services() if has_database(s))


def test_third_party_images_are_pinned(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        if "build" not in service:
            assert has_exact_version(service["image"]), f"{name}: {service['image']}"


def test_mounted_files_exist(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("."):
                assert (COMPOSE_FILE.parent / source).exists(), f"{name}: {source}"
