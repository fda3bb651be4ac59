"""The system as real processes for the scenarios (`crm_platform.testing.stack`): every service
of the registry, identity included, each with its own PostgreSQL database when it owns one,
sharing a RabbitMQ virtual host made for the run; and the processes' memory, sampled.

Identity signs the access tokens: its bootstrap admin logs in once at the gateway and every
request carries that token (valid for the whole run). The API rate limit, the login limits and
the registration limit are lifted: the benchmark is one caller from one address sending far
more than a person would.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from crm_platform.testing.processes import ServiceProcess, free_port
from crm_platform.testing.servers import PostgresServer, RabbitServer
from crm_platform.testing.stack import Stack

from bench.memory import MemorySampler

ADMIN_EMAIL = "bench-admin@example.com"
ADMIN_PASSWORD = "bench-admin-password-1"  # noqa: S105 - a throwaway database of the run
WORKERS = 2  # the portal's gunicorn workers, and the bare baseline's
THREADS = 8  # threads per worker
NEVER_REACHED = "1000000/second"  # a limit still counted as in production


@dataclass(kw_only=True)
class BenchStack(Stack):
    memory: MemorySampler

    def start_process(
        self, name: str, command: Sequence[str], env: Mapping[str, str] | None = None
    ) -> ServiceProcess:
        process = super().start_process(name, command, env)
        assert process.process is not None
        self.memory.track(process.process.pid, name)
        return process

    @property
    def bare(self) -> str:
        return f"http://127.0.0.1:{self.ports['bare']}"

    def start_bare(self) -> None:
        """The baseline server: a bare JSON endpoint under the portal's gunicorn settings."""
        self.ports["bare"], self.ports["bare_metrics"] = free_port(), free_port()
        self.start_process(
            "bare", [sys.executable, "-m", "bench.bare_app"],
            {"CRM_PORTAL_PORT": str(self.ports["bare"]),
             "CRM_PORTAL_METRICS_PORT": str(self.ports["bare_metrics"])},
        )  # fmt: skip
        self.wait_ready("bare", f"{self.bare}/bare/ping", timeout=60)


def bench_stack(
    postgres: PostgresServer, rabbit: RabbitServer, log_dir: Path, memory: MemorySampler
) -> BenchStack:
    settings = {
        "CRM_LOG_LEVEL": "WARNING",
        "CRM_PORTAL_WORKERS": str(WORKERS),
        "CRM_PORTAL_THREADS": str(THREADS),
        "CRM_PORTAL_RATE_LIMIT": NEVER_REACHED,
        "CRM_PORTAL_LOGIN_LIMIT_PER_ADDRESS": NEVER_REACHED,
        "CRM_PORTAL_LOGIN_LIMIT_PER_USERNAME": NEVER_REACHED,
        "CRM_PORTAL_REGISTRATION_LIMIT": NEVER_REACHED,
        "CRM_REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15"),
        "CRM_ACCESS_TOKEN_TTL": str(24 * 3600),
    }
    return BenchStack(
        postgres, rabbit, log_dir, ADMIN_EMAIL, ADMIN_PASSWORD, settings, memory=memory
    )
