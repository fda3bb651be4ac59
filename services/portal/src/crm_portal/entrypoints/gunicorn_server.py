"""gunicorn, run programmatically: the master forks gthread workers that serve the API, and
itself serves the Prometheus metrics of all workers (multiprocess mode) on the metrics port.

Import this module only once PROMETHEUS_MULTIPROC_DIR is set: prometheus_client chooses
where metric values live when it is first imported.
"""

from __future__ import annotations

import logging
import shutil
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIServer

from crm_platform.metrics import serve_metrics
from gunicorn import glogging
from gunicorn.app.base import BaseApplication
from prometheus_client import CollectorRegistry, multiprocess

from crm_portal.config import PortalSettings

log = logging.getLogger(__name__)

WsgiApp = Callable[..., Any]


class JsonLogger(glogging.Logger):  # type: ignore[misc]
    """gunicorn's own lines go to the root logger, so they come out as JSON like ours."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for logger in (self.error_log, self.access_log):
            logger.handlers.clear()
            logger.propagate = True


class MetricsEndpoint:
    """gunicorn server hooks: the master serves every worker's metrics, forgets dead workers,
    and removes the metrics directory on exit when it was created for this run.

    Like every process's metrics port, it also answers /healthz (the master is alive) and
    /readyz (the API port answers its own /readyz: a worker up that knows the signing keys).
    """

    def __init__(self, port: int, directory: Path, *, api_port: int, remove_on_exit: bool) -> None:
        self.port = port
        self.directory = directory
        self.api_port = api_port
        self.remove_on_exit = remove_on_exit
        self.server: WSGIServer | None = None

    def _api_ready(self) -> bool:
        url = f"http://127.0.0.1:{self.api_port}/readyz"
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return bool(response.status == 200)
        except OSError:  # refused, timed out, or an HTTP error status
            return False

    def when_ready(self, _arbiter: Any) -> None:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=str(self.directory))  # type: ignore[no-untyped-call]
        self.server = serve_metrics(self.port, ready=self._api_ready, registry=registry)
        log.info("portal: metrics on port %d", self.server.server_port)

    def post_fork(self, _arbiter: Any, _worker: Any) -> None:
        """A worker inherits the master's metrics socket but never serves it."""
        if self.server is not None:
            self.server.socket.close()

    def child_exit(self, _arbiter: Any, worker: Any) -> None:
        multiprocess.mark_process_dead(worker.pid, path=str(self.directory))  # type: ignore[no-untyped-call]

    def on_exit(self, _arbiter: Any) -> None:
        if self.server is not None:
            self.server.shutdown()
        if self.remove_on_exit:
            shutil.rmtree(self.directory, ignore_errors=True)


def gunicorn_options(settings: PortalSettings, metrics: MetricsEndpoint) -> dict[str, Any]:
    return {
        "bind": [f"0.0.0.0:{settings.port}"],
        "worker_class": "gthread",
        "workers": settings.workers,
        "threads": settings.threads,
        "graceful_timeout": settings.graceful_timeout,
        "timeout": 30,  # a worker silent this long is restarted
        "keepalive": 5,
        "proc_name": "crm-portal",
        "logger_class": JsonLogger,
        "loglevel": settings.log_level.lower(),
        "accesslog": None,  # the app logs each request itself, with the correlation id
        "control_socket_disable": True,  # no socket file: read-only filesystem, many instances
        "when_ready": metrics.when_ready,
        "post_fork": metrics.post_fork,
        "child_exit": metrics.child_exit,
        "on_exit": metrics.on_exit,
    }


class PortalServer(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any], load_app: Callable[[], WsgiApp]) -> None:
        self.options = options
        self.load_app = load_app
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> WsgiApp:
        return self.load_app()
