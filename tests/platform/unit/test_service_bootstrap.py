"""The bootstrap wires the registry's roles from a service's declaration; readiness waits for
the broker only in the roles that use it, and asks them instead of connecting."""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path

import pytest
from crm_platform import registry
from crm_platform.auth import Policy
from crm_platform.consumer import EventHandlers
from crm_platform.service import Service, Wiring, Worker
from crm_platform.settings import ServiceSettings
from crm_platform.uow import UnitOfWork


def settings(service: str, tmp_path: Path) -> ServiceSettings:
    return ServiceSettings(service=service, database_url=f"sqlite:///{tmp_path / 'db.sqlite'}")


def declaration(name: str, **parts: object) -> Service[ServiceSettings, UnitOfWork]:
    return Service(
        name=name,
        migrations=Path("unused"),
        unit_of_work=UnitOfWork,
        grpc=lambda wiring: [],
        policy=Policy({}),
        **parts,  # type: ignore[arg-type]
    )


def sales() -> Service[ServiceSettings, UnitOfWork]:
    """A service of the chassis's roles only (api, relay, consumer)."""
    return declaration("sales", consumer=EventHandlers[UnitOfWork]("sales"))


def test_the_roles_are_the_registrys(tmp_path: Path) -> None:
    app = sales().build(settings("sales", tmp_path))

    assert set(app.roles) == {"api", "relay", "consumer"}
    app.on_stop[0]()


def test_the_api_is_ready_with_its_database_and_needs_no_broker(tmp_path: Path) -> None:
    app = sales().build(settings("sales", tmp_path))

    app.require_for(["api"])

    assert set(app.readiness.checks) == {"database"}
    assert app.readiness.check_now()
    app.on_stop[0]()


def test_the_relay_is_ready_once_its_own_connection_is_up(tmp_path: Path) -> None:
    app = sales().build(settings("sales", tmp_path))

    app.require_for(["relay"])

    assert set(app.readiness.checks) == {"database", "broker"}
    assert not app.readiness.check_now()  # the relay has not connected: not ready, no probe
    app.on_stop[0]()


def test_a_consumer_role_needs_a_consumer_table(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="consumer role"):
        declaration("analytics").build(settings("analytics", tmp_path))


def test_rebuild_is_offered_to_a_consumer_whose_read_model_can_be_cleared() -> None:
    table = EventHandlers[UnitOfWork]("analytics", every_event=True)

    assert (
        "rebuild"
        in declaration(
            "analytics", consumer=table, clear_read_model=lambda uow: None
        ).all_commands()
    )
    assert "rebuild" not in declaration("analytics", consumer=table).all_commands()


def test_a_role_of_the_services_own_is_its_worker_with_the_workers_checks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_jobs = dataclasses.replace(registry.service("sales"), roles=("api", "jobs"))
    monkeypatch.setattr(registry, "SERVICES", (with_jobs,))
    ran: list[threading.Event] = []

    def jobs(wiring: Wiring[ServiceSettings, UnitOfWork]) -> Worker:
        return Worker(run=ran.append, checks={"mail server": lambda: None})

    app = declaration("sales", workers={"jobs": jobs}).build(settings("sales", tmp_path))
    app.roles["jobs"](stop := threading.Event())
    app.require_for(["jobs"])

    assert set(app.roles) == {"api", "jobs"}
    assert ran == [stop]
    assert set(app.readiness.checks) == {"database", "mail server"}
    app.on_stop[0]()


def test_a_role_neither_the_chassis_nor_the_service_has_stops_the_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_jobs = dataclasses.replace(registry.service("sales"), roles=("api", "jobs"))
    monkeypatch.setattr(registry, "SERVICES", (with_jobs,))

    with pytest.raises(ValueError, match="no jobs role"):
        declaration("sales").build(settings("sales", tmp_path))
