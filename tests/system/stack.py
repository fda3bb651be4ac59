"""The whole system as real processes: every service of the registry, each with its own
PostgreSQL database when it owns one, sharing a RabbitMQ virtual host made for the test module.

Access tokens are identity's: the bootstrap admin logs in at the gateway's token endpoint
(`Stack.admin_token`), and every service verifies every call with the public keys it fetches
from identity at start and refreshes in the background.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from crm_platform import registry
from crm_platform.testing.processes import ServiceProcess, free_port, wait_until
from crm_platform.testing.required import unavailable
from crm_platform.testing.servers import PostgresServer, RabbitServer

BIN = Path(sys.executable).parent
# the services of the registry, as every deployment runs them
GRPC_SERVICES = tuple(spec.name for spec in registry.SERVICES if spec.kind == "grpc")
SERVICES_WITH_DB = tuple(spec.name for spec in registry.SERVICES if spec.database)
ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "system-test-admin-password"


@dataclass
class Stack:
    env: dict[str, str]
    log_dir: Path
    ports: dict[str, int]
    database_urls: dict[str, str]
    amqp_url: str
    processes: dict[str, ServiceProcess] = field(default_factory=dict)
    _tokens: dict[str, tuple[str, float]] = field(default_factory=dict)

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.ports['portal']}"

    def token(self, username: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD) -> str:
        """An access token from the portal's token endpoint (password grant), reused until a
        minute before it expires."""
        cached = self._tokens.get(username)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        response = httpx.post(
            f"{self.api}/api/v1/auth/token",
            data={"grant_type": "password", "username": username, "password": password},
            timeout=10,
        )
        assert response.status_code == 200, response.text
        body = response.json()
        expires_at = time.monotonic() + float(body["expires_in"]) - 60
        self._tokens[username] = (body["access_token"], expires_at)
        return str(body["access_token"])

    def admin_token(self) -> str:
        return self.token()

    def headers(self, token: str | None = None) -> dict[str, str]:
        """`Authorization: Bearer` with `token`, or the bootstrap admin's."""
        return {"Authorization": f"Bearer {token or self.admin_token()}"}

    def grpc_target(self, service: str) -> str:
        return f"127.0.0.1:{self.ports[service]}"

    def metrics_url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service + '_metrics']}"

    def command(self, service: str, role: str) -> list[str]:
        return [str(BIN / f"crm-{service}"), role]

    def migrate(self) -> None:
        for service in SERVICES_WITH_DB:
            subprocess.run(
                self.command(service, "migrate"),
                env=self.process_env(),
                check=True,
                capture_output=True,
            )

    def process_env(self) -> dict[str, str]:
        import os

        return {**os.environ, **self.env}

    def start(
        self, name: str, service: str, role: str = "all", env: dict[str, str] | None = None
    ) -> ServiceProcess:
        """Start `crm-<service> <role>` as `name`; `env` overrides the stack's settings for this
        process only (a URL through a proxy, its own metrics port)."""
        process = ServiceProcess(
            name, self.command(service, role), {**self.env, **(env or {})}, self.log_dir
        ).start()
        self.processes[name] = process
        return process

    def start_all(self) -> None:
        for service in GRPC_SERVICES:
            self.start(service, service)
        self.start("portal", "portal", "api")
        for service in GRPC_SERVICES:
            self.wait_ready(service, self.metrics_url(service) + "/readyz")
        self.wait_ready("portal", self.api + "/readyz")

    def wait_ready(self, name: str, url: str, timeout: float = 120.0) -> None:
        """Wait until process `name` answers 200 at `url`; any process of the stack that dies
        meanwhile ends the wait with its log."""
        self.processes[name].wait_ready(url, timeout=timeout, watching=self.processes.values())

    def wait_until(self, predicate: Callable[[], bool], *, timeout: float, what: str) -> None:
        """`wait_until`, ended at once by any process of the stack that died unasked."""
        wait_until(predicate, timeout=timeout, what=what, watching=self.processes.values())

    def stop_all(self) -> dict[str, int | None]:
        return {name: process.stop() for name, process in self.processes.items()}

    def logs(self) -> str:
        return "\n".join(f"--- {name}\n{p.log()}" for name, p in self.processes.items())


def servers_or_skip(
    postgres: PostgresServer | str, rabbit: RabbitServer | str
) -> tuple[PostgresServer, RabbitServer]:
    """The test servers; without one, the test skips (fails in CI) with its fixture's reason."""
    if isinstance(postgres, str):
        unavailable(postgres)
    if isinstance(rabbit, str):
        unavailable(rabbit)
    return postgres, rabbit


def build_stack(postgres: PostgresServer, rabbit: RabbitServer, log_dir: Path) -> Stack:
    ports = {}
    for spec in registry.SERVICES:
        ports[spec.name] = free_port()
        ports[f"{spec.name}_metrics"] = free_port()
    database_urls = {service: postgres.create_database() for service in SERVICES_WITH_DB}
    amqp_url = rabbit.create_vhost()
    env = {
        "CRM_AMQP_URL": amqp_url,
        "CRM_DATA_DIR": str(log_dir / "data"),
        "CRM_LOG_LEVEL": "INFO",
        "CRM_PORTAL_PORT": str(ports["portal"]),
        "CRM_PORTAL_METRICS_PORT": str(ports["portal_metrics"]),
        "CRM_PORTAL_WORKERS": "2",
        "CRM_BOOTSTRAP_ADMIN_EMAIL": ADMIN_EMAIL,
        "CRM_BOOTSTRAP_ADMIN_PASSWORD": ADMIN_PASSWORD,
    }
    for service, url in database_urls.items():
        env[f"CRM_{service.upper()}_DATABASE_URL"] = url
    # every service (the gateway too) gets its token keys from identity, in the background
    for service in GRPC_SERVICES:
        env[f"CRM_{service.upper()}_PORT"] = str(ports[service])
        env[f"CRM_{service.upper()}_METRICS_PORT"] = str(ports[f"{service}_metrics"])
        env[f"CRM_{service.upper()}_GRPC_TARGET"] = f"127.0.0.1:{ports[service]}"
    return Stack(
        env=env, log_dir=log_dir, ports=ports, database_urls=database_urls, amqp_url=amqp_url
    )


def destroy_stack(stack: Stack, postgres: PostgresServer, rabbit: RabbitServer) -> None:
    stack.stop_all()
    for url in stack.database_urls.values():
        postgres.drop_database(url)
    rabbit.delete_vhost(stack.amqp_url)
