"""The system as real processes for the scenarios: customer, analytics and portal, each with
its own PostgreSQL database, sharing a RabbitMQ virtual host made for the run.

The portal signs the access tokens (identity): the harness creates an admin at start-up and
logs in once; every request carries that token. The API rate limit is lifted: the benchmark is
one caller sending far more than a person would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from crm_platform.testing.processes import ServiceProcess, free_port, wait_until
from crm_platform.testing.servers import PostgresServer, RabbitServer

from bench.memory import MemorySampler

BIN = Path(sys.executable).parent
SERVICES_WITH_DB = ("customer", "analytics")
ADMIN_EMAIL = "bench-admin@example.com"
ADMIN_PASSWORD = "bench-admin-password-1"  # noqa: S105 - a throwaway database of the run


def portal_has_identity() -> bool:
    try:
        from crm_portal import config
    except ImportError:
        return False
    return hasattr(config, "MIGRATIONS_DIR")


@dataclass
class BenchStack:
    postgres: PostgresServer
    rabbit: RabbitServer
    log_dir: Path
    memory: MemorySampler
    workers: int = 2
    threads: int = 8
    databases: list[str] = field(default_factory=list)
    vhosts: list[str] = field(default_factory=list)
    processes: dict[str, ServiceProcess] = field(default_factory=dict)
    token: str = ""

    def __post_init__(self) -> None:
        self.ports = {name: free_port() for name in (
            "customer", "customer_metrics", "analytics", "analytics_metrics",
            "portal", "portal_metrics", "bare", "bare_metrics",
        )}  # fmt: skip
        self.database_urls = {s: self.new_database() for s in SERVICES_WITH_DB}
        if portal_has_identity():
            self.database_urls["portal"] = self.new_database()
        self.amqp_url = self.new_vhost()
        self.env = self._env()

    # -- resources -------------------------------------------------------------------------

    def new_database(self) -> str:
        url = self.postgres.create_database()
        self.databases.append(url)
        return url

    def new_vhost(self) -> str:
        url = self.rabbit.create_vhost()
        self.vhosts.append(url)
        return url

    def _env(self) -> dict[str, str]:
        p = self.ports
        env = {
            "CRM_AMQP_URL": self.amqp_url,
            "CRM_DATA_DIR": str(self.log_dir / "data"),
            "CRM_LOG_LEVEL": "WARNING",
            "CRM_PORTAL_PORT": str(p["portal"]),
            "CRM_PORTAL_METRICS_PORT": str(p["portal_metrics"]),
            "CRM_PORTAL_WORKERS": str(self.workers),
            "CRM_PORTAL_THREADS": str(self.threads),
            "CRM_PORTAL_RATE_LIMIT": "1000000/second",  # counted as in production, never hit
            "CRM_REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15"),
            "CRM_JWKS_URL": f"http://127.0.0.1:{p['portal']}/.well-known/jwks.json",
            "CRM_ACCESS_TOKEN_TTL": str(24 * 3600),
            "CRM_BOOTSTRAP_ADMIN_EMAIL": ADMIN_EMAIL,
            "CRM_BOOTSTRAP_ADMIN_PASSWORD": ADMIN_PASSWORD,
        }
        for service, url in self.database_urls.items():
            env[f"CRM_{service.upper()}_DATABASE_URL"] = url
        for service in SERVICES_WITH_DB:
            env[f"CRM_{service.upper()}_PORT"] = str(p[service])
            env[f"CRM_{service.upper()}_METRICS_PORT"] = str(p[f"{service}_metrics"])
            env[f"CRM_{service.upper()}_GRPC_TARGET"] = f"127.0.0.1:{p[service]}"
        return env

    def process_env(self, **overrides: str) -> dict[str, str]:
        return {**os.environ, **self.env, **overrides}

    # -- processes -------------------------------------------------------------------------

    def migrate(self) -> None:
        services = [*SERVICES_WITH_DB, *(["portal"] if "portal" in self.database_urls else [])]
        for service in services:
            subprocess.run(
                [str(BIN / f"crm-{service}"), "migrate"],
                env=self.process_env(), check=True, capture_output=True,
            )  # fmt: skip

    def start(self, name: str, command: list[str], ready_url: str, **env: str) -> ServiceProcess:
        process = ServiceProcess(name, command, {**self.env, **env}, self.log_dir).start()
        self.processes[name] = process
        assert process.process is not None
        self.memory.track(process.process.pid, name)
        process.wait_ready(ready_url, timeout=60)
        return process

    def metrics_url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service + '_metrics']}"

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.ports['portal']}"

    @property
    def bare(self) -> str:
        return f"http://127.0.0.1:{self.ports['bare']}"

    def start_services(
        self,
        customer_role: str = "all",
        analytics: bool = True,
        customer_env: dict[str, str] | None = None,
    ) -> None:
        # The portal first: the services read the token keys from its JWKS.
        self.start(
            "portal", [str(BIN / "crm-portal"), "api"], self.metrics_url("portal") + "/healthz"
        )
        self.start(
            "customer", [str(BIN / "crm-customer"), customer_role],
            self.metrics_url("customer") + "/readyz", **(customer_env or {}),
        )  # fmt: skip
        if analytics:
            self.start(
                "analytics", [str(BIN / "crm-analytics"), "all"],
                self.metrics_url("analytics") + "/readyz",
            )  # fmt: skip
        wait_until(lambda: _ok(self.api + "/readyz"), timeout=60, what="the portal's /readyz")
        self.token = self._login()

    def start_bare(self) -> None:
        """The baseline server: a bare JSON endpoint under the portal's gunicorn settings."""
        self.start(
            "bare", [sys.executable, "-m", "bench.bare_app"],
            f"{self.bare}/bare/ping",
            CRM_PORTAL_PORT=str(self.ports["bare"]),
            CRM_PORTAL_METRICS_PORT=str(self.ports["bare_metrics"]),
        )  # fmt: skip

    def stop(self, name: str) -> None:
        process = self.processes.pop(name, None)
        if process is not None:
            process.stop()

    def stop_all(self) -> None:
        for name in list(self.processes):
            self.stop(name)

    def destroy(self) -> None:
        self.stop_all()
        for url in self.databases:
            self.postgres.drop_database(url)
        for url in self.vhosts:
            self.rabbit.delete_vhost(url)

    def logs(self) -> str:
        return "\n".join(f"--- {name}\n{p.log()}" for name, p in self.processes.items())

    # -- identity --------------------------------------------------------------------------

    def _login(self) -> str:
        if "portal" not in self.database_urls:
            return ""
        form = urllib.parse.urlencode(
            {"grant_type": "password", "username": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
        ).encode()
        request = urllib.request.Request(  # noqa: S310 - the local portal
            self.api + "/api/v1/auth/token", data=form, method="POST",
            headers={"content-type": "application/x-www-form-urlencoded"},
        )  # fmt: skip
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return str(json.load(response)["access_token"])

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}


def _ok(url: str) -> bool:
    with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - local URL
        return bool(response.status == 200)
