"""The whole system as real processes: customer, analytics and portal, each with its own
PostgreSQL database, sharing a RabbitMQ virtual host made for the test module."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from crm_platform.testing.processes import ServiceProcess, free_port
from crm_platform.testing.servers import PostgresServer, RabbitServer

BIN = Path(sys.executable).parent
SERVICES_WITH_DB = ("customer", "analytics")


@dataclass
class Stack:
    env: dict[str, str]
    log_dir: Path
    ports: dict[str, int]
    database_urls: dict[str, str]
    amqp_url: str
    processes: dict[str, ServiceProcess] = field(default_factory=dict)

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.ports['portal']}"

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

    def start(self, name: str, service: str, role: str = "all") -> ServiceProcess:
        process = ServiceProcess(name, self.command(service, role), self.env, self.log_dir).start()
        self.processes[name] = process
        return process

    def start_all(self) -> None:
        for service in SERVICES_WITH_DB:
            self.start(service, service)
        self.start("portal", "portal", "api")
        for service in SERVICES_WITH_DB:
            self.processes[service].wait_ready(self.metrics_url(service) + "/readyz")
        self.processes["portal"].wait_ready(self.api + "/readyz")

    def stop_all(self) -> dict[str, int | None]:
        return {name: process.stop() for name, process in self.processes.items()}

    def logs(self) -> str:
        return "\n".join(f"--- {name}\n{p.log()}" for name, p in self.processes.items())


def build_stack(postgres: PostgresServer, rabbit: RabbitServer, log_dir: Path) -> Stack:
    ports = {
        "customer": free_port(),
        "customer_metrics": free_port(),
        "analytics": free_port(),
        "analytics_metrics": free_port(),
        "portal": free_port(),
        "portal_metrics": free_port(),
    }
    database_urls = {service: postgres.create_database() for service in SERVICES_WITH_DB}
    amqp_url = rabbit.create_vhost()
    env = {
        "CRM_AMQP_URL": amqp_url,
        "CRM_DATA_DIR": str(log_dir / "data"),
        "CRM_LOG_LEVEL": "INFO",
        "CRM_PORTAL_PORT": str(ports["portal"]),
        "CRM_PORTAL_METRICS_PORT": str(ports["portal_metrics"]),
        "CRM_PORTAL_WORKERS": "2",
    }
    for service in SERVICES_WITH_DB:
        env[f"CRM_{service.upper()}_DATABASE_URL"] = database_urls[service]
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
