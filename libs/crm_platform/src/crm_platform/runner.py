"""Running a service process: roles, metrics endpoint, readiness, signals, graceful stop.

Every service's command line is `crm-<service> [all|api|consumer|relay|jobs|migrate]`: one image,
one process per role in Kubernetes, or all roles in one process by default. With
`CRM_<SERVICE>_API_PROCESSES` above 1 the api role runs in that many processes
(crm_platform.multiprocess).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import TypeVar

from crm_platform import amqp, metrics, migrations, multiprocess, registry
from crm_platform.logs import configure_logging
from crm_platform.readiness import Check, Readiness
from crm_platform.settings import ConfigurationError, ServiceSettings

log = logging.getLogger(__name__)

Role = Callable[[threading.Event], None]  # runs until the event is set, then drains and returns
ROLES = ("api", "consumer", "relay", "jobs")
BROKER_ROLES = {"consumer", "relay"}


@dataclass
class ServiceApp:
    """What a service's bootstrap builds: its roles and how to tell it is ready."""

    settings: ServiceSettings
    roles: dict[str, Role]
    readiness: Readiness
    on_stop: list[Callable[[], None]] = field(default_factory=list)
    # what each role needs besides the checks every role shares (readiness.checks)
    role_checks: dict[str, dict[str, Check]] = field(default_factory=dict)

    def require_for(self, roles: Sequence[str]) -> None:
        """Make readiness wait for what the roles that run in this process need."""
        for role in roles:
            for name, check in self.role_checks.get(role, {}).items():
                self.readiness.require(name, check)


def broker_hint(settings: ServiceSettings, error: BaseException) -> str:
    reason = str(error).strip() or type(error).__name__
    return (
        f"{settings.service}: RabbitMQ is unreachable at {amqp.redact(settings.amqp_url)} "
        f"({reason[:120]}). Start it (rabbitmq-server -detached) or point CRM_AMQP_URL at a "
        "running broker; retrying in the background."
    )


def run(app: ServiceApp, roles: Sequence[str]) -> int:
    """Run `roles` until SIGTERM or SIGINT, then drain them; the exit code is 1 when a role
    stopped on its own (so the supervisor restarts the process), else 0."""
    settings = app.settings
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("%s: %s received, draining", settings.service, signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    app.require_for(roles)
    if BROKER_ROLES & set(roles):
        try:
            amqp.ping(settings.amqp_url)
        except Exception as exc:
            print(broker_hint(settings, exc), file=sys.stderr, flush=True)
    worker = multiprocess.is_worker()
    main_process = os.getppid()
    # the main process alone serves the metrics (every API process's) and starts the others
    server = (
        None
        if worker
        else metrics.serve_metrics(
            settings.metrics_port, ready=app.readiness.is_ready, registry=metrics.served_registry()
        )
    )
    api_processes = multiprocess.ApiProcesses(
        settings.api_processes - 1 if "api" in roles and not worker else 0
    )
    api_processes.start()
    threads = [
        threading.Thread(target=app.readiness.run, args=(stop,), name="readiness", daemon=True)
    ]
    threads += [threading.Thread(target=app.roles[r], args=(stop,), name=r) for r in roles]
    for thread in threads:
        thread.start()
    log.info("%s: running %s", settings.service, ", ".join(roles))
    exit_code = 0
    while not stop.is_set():
        stop.wait(1.0)
        dead = [t.name for t in threads if not t.is_alive()] + api_processes.exited()
        if worker and os.getppid() != main_process:
            dead.append("the main process")  # killed outright: the port is its, not ours
        if dead and not stop.is_set():
            log.error(
                "%s: %s stopped unexpectedly; shutting down", settings.service, ", ".join(dead)
            )
            exit_code = 1
            stop.set()
    for pid in api_processes.stop():
        metrics.forget_process(pid)
    for thread in threads:
        thread.join(timeout=30)
    for hook in app.on_stop:
        hook()
    if server is not None:
        server.shutdown()
        multiprocess.remove_owned_dir()
    log.info("%s: stopped", settings.service)
    return exit_code


S = TypeVar("S", bound=ServiceSettings)


def _roles_of(service: str) -> tuple[str, ...]:
    """The roles the registry gives the service (every role for one it does not list)."""
    try:
        return registry.service(service).roles
    except KeyError:
        return ROLES


def service_main(
    service: str,
    build: Callable[[S], ServiceApp],
    migrations_dir: Path,
    argv: Sequence[str] | None = None,
    commands: Mapping[str, Callable[[S, list[str]], int]] | None = None,
    *,
    settings_type: type[S],
) -> int:
    """`crm-<service> <role>`; `commands` adds service-specific ones (given the remaining args)."""
    commands = commands or {}
    parser = argparse.ArgumentParser(prog=f"crm-{service}", description=f"Guanxi {service} service")
    parser.add_argument(
        "role",
        nargs="?",
        default="all",
        choices=["all", "migrate", *_roles_of(service), *commands],
        help="what to run: every role of the service (default), one role, the migrations, "
        "or a maintenance command",
    )
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in commands:
        # The command parses the rest itself, its --help included.
        args, rest = parser.parse_args(argv[:1]), argv[1:]
    else:
        args, rest = parser.parse_args(argv), []
    try:
        settings = settings_type.from_env(service)
    except ConfigurationError as exc:
        print(exc, file=sys.stderr)
        return 2
    configure_logging(service, settings.log_level)
    if args.role == "migrate":
        migrations.upgrade(migrations_dir, settings.database_url)
        log.info("%s: migrations applied", service)
        return 0
    if args.role in commands:
        return commands[args.role](settings, rest)
    if args.role in ("all", "api") and settings.api_processes > 1:
        multiprocess.enter_multiprocess_metrics()  # before anything is built
    app = build(settings)
    roles = list(app.roles) if args.role == "all" else [args.role]
    missing = [r for r in roles if r not in app.roles]
    if missing:
        print(f"crm-{service}: this service has no {', '.join(missing)} role", file=sys.stderr)
        return 2
    return run(app, roles)
