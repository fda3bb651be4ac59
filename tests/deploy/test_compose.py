"""The compose stack: parses, every long-running service has a health check, migrations are
one-shot services the apps wait for (service_completed_successfully), one PostgreSQL per service,
pinned images, and the files it mounts exist."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from tests.deploy.support import (
    COMPOSE_FILE,
    PORTS,
    ROOT,
    has_database,
    has_exact_version,
    service_dirs,
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


@pytest.mark.parametrize("name", service_dirs())
def test_each_service_runs_from_its_image(compose: dict[str, Any], name: str) -> None:
    services = compose["services"]
    assert name in services, f"compose has no {name}"
    app = services[name]
    assert app["build"]["dockerfile"] == f"services/{name}/Dockerfile"
    assert (COMPOSE_FILE.parent / app["build"]["context"]).resolve() == ROOT
    assert app.get("read_only") is True
    assert app.get("cap_drop") == ["ALL"]
    assert app.get("user") not in (None, "0", "root")
    health = " ".join(app["healthcheck"]["test"])
    assert f":{PORTS[name][1]}/readyz" in health
    if has_database(name):
        migrate, database = services[f"{name}-migrate"], services[f"{name}-db"]
        assert migrate["image"] == app["image"]
        assert migrate["command"] == ["migrate"]
        assert app["depends_on"][f"{name}-migrate"]["condition"] == "service_completed_successfully"
        assert migrate["depends_on"][f"{name}-db"]["condition"] == "service_healthy"
        url = f"CRM_{name.upper()}_DATABASE_URL"
        assert f"@{name}-db:5432/" in app["environment"][url]
        assert app["environment"][url] == migrate["environment"][url]
        assert database["image"].startswith("postgres:")


def test_the_infrastructure_is_there(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name in ("rabbitmq", "redis", "prometheus"):
        assert name in services
    assert "management" in services["rabbitmq"]["image"]
    databases = [n for n, s in services.items() if str(s.get("image", "")).startswith("postgres:")]
    assert sorted(databases) == sorted(f"{s}-db" for s in service_dirs() if has_database(s))


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
