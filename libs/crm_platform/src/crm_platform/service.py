"""The service bootstrap: a short declaration in, a runnable `crm-<service>` out.

A service declares what only it knows (its settings class, unit of work, gRPC servicers, policy,
consumer table, maintenance commands); the chassis wires the rest the same way for every
service: settings from the environment, the engine and sessions, the unit of work factory, the
gRPC server with authentication and the policy, the outbox relay, the event consumer, readiness
and the command line. The roles are the registry's (`crm_platform.registry`):

    SERVICE = Service(
        name="analytics",
        migrations=MIGRATIONS_DIR,
        unit_of_work=AnalyticsUnitOfWork,
        grpc=lambda wiring: [grpc_api.binding(AnalyticsServicer(wiring.unit_of_work))],
        policy=POLICY,
        consumer=HANDLERS,
        clear_read_model=lambda uow: uow.customers.clear(),
    )

and its command line is `SERVICE.main(argv)`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from crm_platform import db, registry
from crm_platform.auth import KeySource, Policy, TokenVerifier, grpc_authenticator
from crm_platform.consumer import EventConsumer, EventHandlers
from crm_platform.events import source_of
from crm_platform.grpc_server import GrpcServer, ServiceBinding
from crm_platform.readiness import Readiness
from crm_platform.rebuild import rebuild_command
from crm_platform.relay import OutboxRelay
from crm_platform.runner import Role, ServiceApp, service_main
from crm_platform.settings import ServiceSettings
from crm_platform.uow import MessageBus, UnitOfWork

S = TypeVar("S", bound=ServiceSettings)
U = TypeVar("U", bound=UnitOfWork)


@dataclass(frozen=True)
class Wiring(Generic[S, U]):
    """What the chassis built for a service, handed to the declaration's factories."""

    settings: S
    engine: Engine
    unit_of_work: Callable[[], U]


UnitOfWorkClass = Callable[[sessionmaker[Session], str, MessageBus | None], U]


def unit_of_work_factory(
    unit_of_work: UnitOfWorkClass[U], engine: Engine, service: str, bus: MessageBus | None = None
) -> Callable[[], U]:
    sessions = db.session_factory(engine)
    source = source_of(service)
    return lambda: unit_of_work(sessions, source, bus)


@dataclass(frozen=True)
class Worker:
    """A role of a service's own, beyond api, relay and consumer (a mail listener, a loop that
    sends or evaluates clocks): `run` until the stop event is set; `checks` are the dependencies
    its readiness reports (name -> a check that raises while the dependency is away)."""

    run: Role
    checks: Mapping[str, Callable[[], None]] = field(default_factory=dict)


@dataclass(frozen=True)
class Service(Generic[S, U]):
    name: str  # as in the registry
    migrations: Path
    # called with (sessions, event source, bus) for every unit of work
    unit_of_work: UnitOfWorkClass[U]
    settings: type[S] = ServiceSettings  # type: ignore[assignment]  # the default S
    # the gRPC servicers, built when the api role starts
    grpc: Callable[[Wiring[S, U]], list[ServiceBinding]] | None = None
    policy: Policy | None = None
    consumer: EventHandlers[Any] | None = None
    # empties the read model the consumer writes, before `rebuild` replays the event log
    clear_read_model: Callable[[U], None] | None = None
    commands: Mapping[str, Callable[[S, list[str]], int]] = field(default_factory=dict)
    # in-process handlers of the domain events, run in the unit of work that collects them
    bus: MessageBus | None = None
    # the keys the api role verifies tokens with; default: identity's, fetched over gRPC (or
    # the JWKS file of the settings). Identity itself reads its own from its database.
    keys: Callable[[Wiring[S, U]], KeySource] | None = None
    # run once when the api role starts, before it serves (identity: its first signing key)
    prepare: Callable[[Wiring[S, U]], None] | None = None
    # the service's own roles by their registry name, built when the process starts
    workers: Mapping[str, Callable[[Wiring[S, U]], Worker]] = field(default_factory=dict)

    @property
    def spec(self) -> registry.ServiceSpec:
        return registry.service(self.name)

    def build(self, settings: S) -> ServiceApp:
        """The roles of the registry's entry, wired; nothing connects before a role runs."""
        engine = db.build_engine(settings.database_url)
        wiring = Wiring(
            settings, engine, unit_of_work_factory(self.unit_of_work, engine, self.name, self.bus)
        )
        readiness = Readiness({"database": lambda: db.ping(engine)})
        roles: dict[str, Role] = {}
        role_checks: dict[str, dict[str, Callable[[], None]]] = {}
        for role in self.spec.roles:
            if role == "api":
                roles[role] = self._api(wiring, readiness)
            elif role == "relay":
                relay = OutboxRelay(engine, settings.amqp_url, app_id=self.name)
                roles[role], role_checks[role] = relay.run, {"broker": relay.link.check}
            elif role == "consumer":
                if self.consumer is None:
                    raise ValueError(f"{self.name}: the registry names a consumer role, give one")
                consumer = EventConsumer(
                    settings.amqp_url,
                    self.consumer.subscription,
                    self.consumer.handlers,
                    wiring.unit_of_work,
                )
                roles[role], role_checks[role] = consumer.run, {"broker": consumer.link.check}
            elif role in self.workers:
                worker = self.workers[role](wiring)
                roles[role], role_checks[role] = worker.run, dict(worker.checks)
            else:
                raise ValueError(f"{self.name}: the chassis has no {role} role")
        return ServiceApp(settings, roles, readiness, [engine.dispose], role_checks)

    def _api(self, wiring: Wiring[S, U], readiness: Readiness) -> Role:
        grpc, policy, keys, prepare = self.grpc, self.policy, self.keys, self.prepare
        if grpc is None or policy is None:
            raise ValueError(f"{self.name}: the registry names an api role: give grpc and policy")

        def serve(stop: threading.Event) -> None:
            # Built when the role runs: a process running only the relay or the consumer leaves
            # the port free and needs no signing keys.
            if prepare is not None:
                prepare(wiring)
            settings = wiring.settings
            verifier = (
                TokenVerifier.from_settings(settings)
                if keys is None
                else TokenVerifier(
                    keys(wiring), issuer=settings.jwt_issuer, audience=settings.jwt_audience
                )
            )
            # not ready before the keys are known: every call would be UNAVAILABLE
            readiness.require("signing keys", verifier.keys.check)
            GrpcServer(
                grpc(wiring),
                port=wiring.settings.port,
                readiness=readiness,
                authenticate=grpc_authenticator(verifier),
                policy=policy,
                reuse_port=wiring.settings.api_processes > 1,
            ).run(stop)

        return serve

    def all_commands(self) -> dict[str, Callable[[S, list[str]], int]]:
        """The declared commands, and `rebuild` for a consumer whose read model can be cleared."""
        commands = dict(self.commands)
        clear = self.clear_read_model
        if self.consumer is not None and clear is not None:
            table = self.consumer

            def rebuild(settings: S, argv: list[str]) -> int:
                return rebuild_command(
                    settings,
                    argv,
                    migrations_dir=self.migrations,
                    unit_of_work=lambda engine: unit_of_work_factory(
                        self.unit_of_work, engine, self.name, self.bus
                    ),
                    handlers=table,
                    clear_read_model=clear,
                )

            commands["rebuild"] = rebuild
        return commands

    def main(self, argv: Sequence[str] | None = None) -> int:
        """`crm-<service> [all|<role>|migrate|<command>]`."""
        return service_main(
            self.name,
            self.build,
            self.migrations,
            argv,
            self.all_commands(),
            settings_type=self.settings,
        )
