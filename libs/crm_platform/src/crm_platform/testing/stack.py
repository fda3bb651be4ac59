"""The whole system as real processes, for the system tests and the benchmark: every service of
the registry on ports of its own, with its own PostgreSQL database when it owns one, all
sharing a RabbitMQ virtual host made for the stack.

Access tokens are identity's: the bootstrap admin (CRM_BOOTSTRAP_ADMIN_EMAIL/PASSWORD) logs in
at the gateway's token endpoint (`Stack.admin_token`), and every service verifies every call
with the public keys it fetches from identity at start and refreshes in the background.

    stack = Stack(postgres, rabbit, log_dir, admin_email, admin_password)
    try:
        stack.migrate()
        stack.start_all()
        ...
    finally:
        stack.destroy()
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from crm_platform import amqp, registry
from crm_platform.testing.processes import ServiceProcess, free_port, wait_until
from crm_platform.testing.servers import PostgresServer, RabbitServer

BIN = Path(sys.executable).parent
# the services of the registry, as every deployment runs them
GRPC_SERVICES = tuple(spec.name for spec in registry.SERVICES if spec.kind == "grpc")
SERVICES_WITH_DB = tuple(spec.name for spec in registry.SERVICES if spec.database)
GATEWAY = next(spec.name for spec in registry.SERVICES if spec.kind == "gateway")
TOKEN_PATH = "/api/v1/auth/token"  # noqa: S105 - the endpoint, no secret


@dataclass
class Stack:
    """Made on `postgres` and `rabbit`: its databases and virtual host exist once it is
    constructed, and `destroy` removes them with every one made later by `new_database` and
    `new_vhost`. `settings` are environment variables for every process, over the stack's own
    (ports, databases, broker, bootstrap admin)."""

    postgres: PostgresServer
    rabbit: RabbitServer
    log_dir: Path
    admin_email: str
    admin_password: str
    settings: Mapping[str, str] = field(default_factory=dict)
    ports: dict[str, int] = field(init=False)  # service -> port, service_metrics -> port
    database_urls: dict[str, str] = field(init=False)  # service -> its database
    amqp_url: str = field(init=False)
    env: dict[str, str] = field(init=False)  # every process's, over the machine's
    processes: dict[str, ServiceProcess] = field(default_factory=dict, init=False)
    databases: list[str] = field(default_factory=list, init=False)
    vhosts: list[str] = field(default_factory=list, init=False)
    _tokens: dict[str, tuple[str, float]] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        self.ports = {}
        for spec in registry.SERVICES:
            self.ports[spec.name] = free_port()
            self.ports[f"{spec.name}_metrics"] = free_port()
        self.database_urls = {service: self.new_database() for service in SERVICES_WITH_DB}
        self.amqp_url = self.new_vhost()
        self.env = self._environment() | dict(self.settings)

    def _environment(self) -> dict[str, str]:
        env = {
            "CRM_AMQP_URL": self.amqp_url,
            "CRM_DATA_DIR": str(self.log_dir / "data"),
            "CRM_LOG_LEVEL": "INFO",
        }
        for spec in registry.SERVICES:
            # as compose runs them (signing keys stored encrypted); the admin is the stack's
            env |= {secret.variable: secret.dev_value for secret in spec.secrets}
            prefix = f"CRM_{spec.name.upper()}_"
            env[prefix + "PORT"] = str(self.ports[spec.name])
            env[prefix + "METRICS_PORT"] = str(self.ports[f"{spec.name}_metrics"])
            if spec.kind == "grpc":
                env[prefix + "GRPC_TARGET"] = self.grpc_target(spec.name)
            if spec.database:
                env[prefix + "DATABASE_URL"] = self.database_urls[spec.name]
        env["CRM_BOOTSTRAP_ADMIN_EMAIL"] = self.admin_email
        env["CRM_BOOTSTRAP_ADMIN_PASSWORD"] = self.admin_password
        return env

    # -- resources -------------------------------------------------------------------------

    def new_database(self) -> str:
        url = self.postgres.create_database()
        self.databases.append(url)
        return url

    def new_vhost(self) -> str:
        url = self.rabbit.create_vhost()
        self.vhosts.append(url)
        return url

    def destroy(self) -> None:
        """Stop every process, drop every database and virtual host of the stack."""
        self.stop_all()
        for url in self.databases:
            self.postgres.drop_database(url)
        for url in self.vhosts:
            self.rabbit.delete_vhost(url)

    # -- addresses -------------------------------------------------------------------------

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.ports[GATEWAY]}"

    def grpc_target(self, service: str) -> str:
        return f"127.0.0.1:{self.ports[service]}"

    def metrics_url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service + '_metrics']}"

    def ready_url(self, service: str) -> str:
        """Where a service of the registry answers 200 once ready: the gateway's API, the
        others' metrics port."""
        base = self.api if service == GATEWAY else self.metrics_url(service)
        return base + "/readyz"

    # -- tokens ----------------------------------------------------------------------------

    def token(self, username: str | None = None, password: str | None = None) -> str:
        """An access token from the gateway's token endpoint (password grant), reused until a
        minute before it expires; by default the bootstrap admin's."""
        username = username or self.admin_email
        cached = self._tokens.get(username)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        form = {"grant_type": "password", "username": username}
        form["password"] = password or self.admin_password
        request = urllib.request.Request(  # noqa: S310 - the stack's own gateway
            self.api + TOKEN_PATH,
            data=urllib.parse.urlencode(form).encode(),
            headers={"content-type": "application/x-www-form-urlencoded"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                body = json.load(response)
        except urllib.error.HTTPError as exc:
            raise AssertionError(
                f"the token endpoint answered {exc.code}: {exc.read()!r}"
            ) from None
        expires_at = time.monotonic() + float(body["expires_in"]) - 60
        self._tokens[username] = (str(body["access_token"]), expires_at)
        return str(body["access_token"])

    def admin_token(self) -> str:
        return self.token()

    def headers(self, token: str | None = None) -> dict[str, str]:
        """`Authorization: Bearer` with `token`, or the bootstrap admin's."""
        return {"Authorization": f"Bearer {token or self.admin_token()}"}

    # -- processes -------------------------------------------------------------------------

    def command(self, service: str, role: str) -> list[str]:
        return [str(BIN / f"crm-{service}"), role]

    def process_env(self, env: Mapping[str, str] | None = None) -> dict[str, str]:
        """The environment of a process of the stack, with `env` over the stack's."""
        return {**os.environ, **self.env, **(env or {})}

    def migrate(
        self, services: Iterable[str] = SERVICES_WITH_DB, env: Mapping[str, str] | None = None
    ) -> None:
        """`crm-<service> migrate` for each of `services`, all at once (each its own database);
        `env` points one at another database."""
        running = {
            service: subprocess.Popen(
                self.command(service, "migrate"),
                env=self.process_env(env),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
            for service in services
        }
        failed = []
        for service, process in running.items():
            output, _ = process.communicate()
            if process.returncode != 0:
                failed.append(f"--- crm-{service} migrate exited {process.returncode}:\n")
                failed.append(output.decode(errors="replace")[-4000:])
        if failed:
            raise RuntimeError("".join(failed))

    def start_process(
        self, name: str, command: Sequence[str], env: Mapping[str, str] | None = None
    ) -> ServiceProcess:
        """Start `command` as `name` with the stack's environment and `env` over it."""
        process = ServiceProcess(name, command, {**self.env, **(env or {})}, self.log_dir).start()
        self.processes[name] = process
        return process

    def start(
        self, name: str, service: str, role: str = "all", env: Mapping[str, str] | None = None
    ) -> ServiceProcess:
        """Start `crm-<service> <role>` as `name`; `env` overrides the stack's settings for this
        process only (a URL through a proxy, its own metrics port)."""
        return self.start_process(name, self.command(service, role), env)

    def start_all(
        self,
        roles: Mapping[str, str] | None = None,
        env: Mapping[str, Mapping[str, str]] | None = None,
    ) -> None:
        """Start every service of the registry, each named as its service, running
        `roles[service]` or what a deployment runs, with `env[service]` over the stack's
        settings; the gateway last. Then wait until each is ready: a service is once it has
        identity's keys (and its backends serve), so all start before any is waited for."""
        self.declare_subscriptions()
        services = sorted(registry.SERVICES, key=lambda spec: spec.kind == "gateway")
        for spec in services:
            role = (roles or {}).get(spec.name, spec.default_role)
            self.start(spec.name, spec.name, role, (env or {}).get(spec.name))
        for spec in services:
            self.wait_ready(spec.name, self.ready_url(spec.name))

    def declare_subscriptions(self) -> None:
        """Every consumer's queue and bindings, as the broker's definitions make them in a
        deployment before any service starts: an event published at start (identity's first
        admin) reaches each of its subscribers."""
        connection = amqp.connect(self.amqp_url)
        try:
            channel = connection.channel()
            for spec in registry.SERVICES:
                if spec.consumes:
                    amqp.declare_subscription(channel, registry.subscription(spec))
        finally:
            connection.close()

    def wait_ready(self, name: str, url: str, timeout: float = 120.0) -> None:
        """Wait until process `name` answers 200 at `url`; any process of the stack that dies
        meanwhile ends the wait with its log."""
        self.processes[name].wait_ready(url, timeout=timeout, watching=self.processes.values())

    def wait_until(self, predicate: Callable[[], bool], *, timeout: float, what: str) -> None:
        """`wait_until`, ended at once by any process of the stack that died unasked."""
        wait_until(predicate, timeout=timeout, what=what, watching=self.processes.values())

    def stop_all(self) -> dict[str, int | None]:
        """SIGTERM to every process at once, then their exit codes: they drain together."""
        for process in self.processes.values():
            process.terminate()
        return {name: process.wait_stopped() for name, process in self.processes.items()}

    def logs(self) -> str:
        return "\n".join(f"--- {name}\n{p.log()}" for name, p in self.processes.items())
