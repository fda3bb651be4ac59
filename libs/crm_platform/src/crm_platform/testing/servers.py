"""Where the test servers come from, in order: an environment URL, testcontainers when a
Docker engine answers, the local servers on 127.0.0.1, else the tests skip with the reason.

Each test then gets its own PostgreSQL database and its own RabbitMQ virtual host.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import socket
import subprocess
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
from psycopg import sql

LOCAL_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
LOCAL_AMQP = "amqp://guest:guest@127.0.0.1:5672/"
LOCAL_REDIS = "redis://127.0.0.1:6379/0"


def _port_open(host: str, port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=1):
        return True
    return False


def docker_available() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@dataclass
class PostgresServer:
    """An admin URL on a server where tests may create databases."""

    admin_url: str

    def create_database(self) -> str:
        name = f"crm_test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.admin_url, autocommit=True) as connection:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        parts = urllib.parse.urlsplit(self.admin_url)
        return urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))

    def drop_database(self, url: str) -> None:
        name = urllib.parse.urlsplit(url).path.lstrip("/")
        with psycopg.connect(self.admin_url, autocommit=True) as connection:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@dataclass
class RabbitServer:
    """A broker where tests may create virtual hosts (management API, else rabbitmqctl)."""

    amqp_url: str
    management_url: str | None

    def _vhost_url(self, vhost: str) -> str:
        parts = urllib.parse.urlsplit(self.amqp_url)
        return urllib.parse.urlunsplit(
            parts._replace(path="/" + urllib.parse.quote(vhost, safe=""))
        )

    def _management(self, method: str, path: str, body: dict[str, str] | None = None) -> None:
        assert self.management_url is not None
        parts = urllib.parse.urlsplit(self.amqp_url)
        request = urllib.request.Request(  # noqa: S310 - a URL the tests configured
            f"{self.management_url}{path}",
            method=method,
            data=json.dumps(body or {}).encode(),
            headers={"content-type": "application/json"},
        )
        credentials = f"{parts.username or 'guest'}:{parts.password or 'guest'}"
        request.add_header(
            "Authorization", "Basic " + base64.b64encode(credentials.encode()).decode()
        )
        urllib.request.urlopen(request, timeout=10).close()  # noqa: S310

    def create_vhost(self) -> str:
        vhost = f"crm-test-{uuid.uuid4().hex[:12]}"
        user = urllib.parse.urlsplit(self.amqp_url).username or "guest"
        if self.management_url:
            self._management("PUT", f"/api/vhosts/{vhost}")
            self._management(
                "PUT",
                f"/api/permissions/{vhost}/{user}",
                {"configure": ".*", "write": ".*", "read": ".*"},
            )
        else:
            subprocess.run(["rabbitmqctl", "-q", "add_vhost", vhost], check=True)
            subprocess.run(
                ["rabbitmqctl", "-q", "set_permissions", "-p", vhost, user, ".*", ".*", ".*"],
                check=True,
            )
        return self._vhost_url(vhost)

    def delete_vhost(self, url: str) -> None:
        vhost = urllib.parse.unquote(urllib.parse.urlsplit(url).path.lstrip("/"))
        with contextlib.suppress(OSError, urllib.error.URLError, subprocess.CalledProcessError):
            if self.management_url:
                self._management("DELETE", f"/api/vhosts/{vhost}")
            else:
                subprocess.run(["rabbitmqctl", "-q", "delete_vhost", vhost], check=True)


def _management_url(host: str, port: int) -> str | None:
    return f"http://{host}:{port}" if _port_open(host, port) else None


@contextlib.contextmanager
def postgres_server() -> Iterator[PostgresServer | str]:
    """Yields the server, or the reason there is none."""
    if url := os.environ.get("CRM_TEST_POSTGRES_URL"):
        yield PostgresServer(url)
    elif docker_available():
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("postgres:16-alpine", driver=None) as container:
            yield PostgresServer(container.get_connection_url())
    elif _port_open("127.0.0.1", 5432):
        yield PostgresServer(LOCAL_POSTGRES)
    else:
        yield "no PostgreSQL: set CRM_TEST_POSTGRES_URL, run Docker, or start one on 127.0.0.1:5432"


@contextlib.contextmanager
def rabbit_server() -> Iterator[RabbitServer | str]:
    """Yields the server, or the reason there is none."""
    if url := os.environ.get("CRM_TEST_AMQP_URL"):
        host = urllib.parse.urlsplit(url).hostname or "127.0.0.1"
        yield RabbitServer(
            url, os.environ.get("CRM_TEST_RABBIT_MANAGEMENT_URL") or _management_url(host, 15672)
        )
    elif docker_available():
        from testcontainers.rabbitmq import RabbitMqContainer

        with RabbitMqContainer("rabbitmq:3.13-management").with_exposed_ports(15672) as container:
            host = container.get_container_host_ip()
            amqp_port = container.get_exposed_port(5672)
            yield RabbitServer(
                f"amqp://guest:guest@{host}:{amqp_port}/",
                f"http://{host}:{container.get_exposed_port(15672)}",
            )
    elif _port_open("127.0.0.1", 5672):
        yield RabbitServer(LOCAL_AMQP, _management_url("127.0.0.1", 15672))
    else:
        yield "no RabbitMQ: set CRM_TEST_AMQP_URL, run Docker, or start one on 127.0.0.1:5672"
