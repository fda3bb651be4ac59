"""Configuration, the gunicorn set-up and the command line, without serving requests."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
from crm_platform.settings import ConfigurationError
from crm_platform.testing.processes import free_port
from crm_portal.config import SERVICE_NAME, PortalSettings
from crm_portal.entrypoints import cli
from crm_portal.entrypoints.gunicorn_server import (
    JsonLogger,
    MetricsEndpoint,
    PortalServer,
    gunicorn_options,
)
from flask import Flask


def test_config_defaults() -> None:
    settings = PortalSettings.from_env(SERVICE_NAME, {})

    assert (settings.port, settings.metrics_port) == (8080, 9107)
    assert (settings.workers, settings.threads, settings.graceful_timeout) == (2, 8, 30)
    assert settings.backend_targets == {
        "customer": "127.0.0.1:50051",
        "sales": "127.0.0.1:50053",
        "analytics": "127.0.0.1:50056",
        "identity": "127.0.0.1:50057",
        "service": "127.0.0.1:50054",
        "marketing": "127.0.0.1:50052",
        "partner": "127.0.0.1:50055",
    }
    assert settings.route_limits == {}


def test_config_from_environment() -> None:
    settings = PortalSettings.from_env(
        SERVICE_NAME,
        {
            "CRM_PORTAL_PORT": "18080",
            "CRM_PORTAL_METRICS_PORT": "19107",
            "CRM_PORTAL_WORKERS": "3",
            "CRM_PORTAL_THREADS": "4",
            "CRM_PORTAL_LOGIN_LIMIT_PER_USERNAME": "3/minute",
            "CRM_PORTAL_PUBLIC_FORM_LIMIT": "5/minute",
            "CRM_CUSTOMER_GRPC_TARGET": "customer:50051",
            "CRM_ANALYTICS_GRPC_TARGET": "analytics:50056",
        },
    )

    assert (settings.port, settings.metrics_port) == (18080, 19107)
    assert (settings.workers, settings.threads) == (3, 4)
    assert settings.route_limits == {
        "CRM_PORTAL_LOGIN_LIMIT_PER_USERNAME": "3/minute",
        "CRM_PORTAL_PUBLIC_FORM_LIMIT": "5/minute",
    }
    assert settings.backend_targets["customer"] == "customer:50051"
    assert settings.backend_targets["analytics"] == "analytics:50056"


@pytest.mark.parametrize("workers", ["0", "-1", "two"])
def test_bad_worker_count_fails_fast(workers: str) -> None:
    with pytest.raises(ConfigurationError, match="CRM_PORTAL_WORKERS"):
        PortalSettings.from_env(SERVICE_NAME, {"CRM_PORTAL_WORKERS": workers})


@pytest.mark.parametrize(
    "variable", ["CRM_PORTAL_RATE_LIMIT", "CRM_PORTAL_LOGIN_LIMIT_PER_ADDRESS"]
)
def test_a_bad_rate_limit_fails_fast_naming_its_variable(variable: str) -> None:
    with pytest.raises(ConfigurationError, match=variable):
        PortalSettings.from_env(SERVICE_NAME, {variable: "lots"})


def test_gunicorn_is_configured_from_the_portal_config(tmp_path: Path) -> None:
    settings = PortalSettings.from_env(
        SERVICE_NAME,
        {"CRM_PORTAL_PORT": "18080", "CRM_PORTAL_WORKERS": "3", "CRM_PORTAL_THREADS": "4"},
    )
    metrics = MetricsEndpoint(19107, tmp_path, api_port=18080, remove_on_exit=False)

    server = PortalServer(gunicorn_options(settings, metrics), load_app=lambda: Flask(__name__))

    cfg = server.cfg
    assert cfg.bind == ["0.0.0.0:18080"]
    assert cfg.worker_class_str == "gthread"
    assert (cfg.workers, cfg.threads, cfg.graceful_timeout) == (3, 4, 30)
    assert cfg.logger_class is JsonLogger
    assert cfg.accesslog is None
    assert cfg.control_socket_disable is True
    assert cfg.preload_app is False  # each worker builds its own app and gRPC channels
    assert cfg.when_ready == metrics.when_ready
    assert cfg.child_exit == metrics.child_exit
    assert cfg.on_exit == metrics.on_exit


def test_configured_metrics_dir_is_emptied_of_a_previous_run(tmp_path: Path) -> None:
    (tmp_path / "counter_123.db").write_bytes(b"stale")

    directory, created = cli.prepare_metrics_dir({cli.MULTIPROC_ENV: str(tmp_path)})

    assert (directory, created) == (tmp_path, False)
    assert list(tmp_path.iterdir()) == []


def test_metrics_dir_is_created_when_none_is_configured() -> None:
    directory, created = cli.prepare_metrics_dir({})
    try:
        assert created
        assert directory.is_dir()
    finally:
        directory.rmdir()


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - local test URL
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.fixture
def api_port() -> Iterator[int]:
    """A stand-in for the workers' API port, ready until told otherwise."""
    ready = {"value": True}

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK" if ready["value"] else "503 Service Unavailable", [])
        return [b""]

    server = make_server("127.0.0.1", 0, app, handler_class=QuietHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_port
    finally:
        server.shutdown()


def test_master_serves_the_metrics_every_worker_wrote(tmp_path: Path, api_port: int) -> None:
    subprocess.run(
        [sys.executable, "-c", "import prometheus_client as p; p.Counter('crm_demo', 'd').inc(3)"],
        env={**os.environ, cli.MULTIPROC_ENV: str(tmp_path)},
        check=True,
    )
    port = free_port()
    metrics = MetricsEndpoint(port, tmp_path, api_port=api_port, remove_on_exit=True)

    metrics.when_ready(None)
    try:
        scraped = get(f"http://127.0.0.1:{port}/metrics")
        alive = get(f"http://127.0.0.1:{port}/healthz")
        ready = get(f"http://127.0.0.1:{port}/readyz")
        metrics.child_exit(None, SimpleNamespace(pid=12345))
    finally:
        metrics.on_exit(None)

    assert scraped[0] == 200
    assert "crm_demo_total 3.0" in scraped[1]
    assert (alive[0], ready[0]) == (200, 200)
    assert not tmp_path.exists()


def test_master_is_not_ready_when_the_api_port_is_not(tmp_path: Path) -> None:
    port = free_port()
    metrics = MetricsEndpoint(port, tmp_path, api_port=free_port(), remove_on_exit=False)

    metrics.when_ready(None)
    try:
        status, _ = get(f"http://127.0.0.1:{port}/readyz")
    finally:
        metrics.on_exit(None)

    assert status == 503


def test_the_command_line_module_does_not_load_prometheus_client() -> None:
    """prometheus_client must first be imported after PROMETHEUS_MULTIPROC_DIR is set."""
    check = "import sys, crm_portal.entrypoints.cli; sys.exit('prometheus_client' in sys.modules)"

    assert subprocess.run([sys.executable, "-c", check], check=False).returncode == 0


def test_bad_configuration_exits_2_with_the_reason(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CRM_PORTAL_THREADS", "0")

    assert cli.main([]) == 2
    assert "CRM_PORTAL_THREADS" in capsys.readouterr().err


def test_unknown_role_is_refused() -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["consumer"])

    assert exit_info.value.code == 2


@pytest.mark.parametrize("argv", [[], ["api"]])
def test_api_runs_gunicorn_with_a_metrics_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, argv: list[str]
) -> None:
    started: list[Any] = []
    monkeypatch.setenv(cli.MULTIPROC_ENV, str(tmp_path))
    monkeypatch.setenv("CRM_PORTAL_PORT", "18081")
    monkeypatch.setattr(cli, "configure_logging", lambda service, level: None)
    monkeypatch.setattr(PortalServer, "run", lambda self: started.append(self))

    assert cli.main(argv) == 0

    (server,) = started
    assert server.cfg.bind == ["0.0.0.0:18081"]
    assert os.environ[cli.MULTIPROC_ENV] == str(tmp_path)
