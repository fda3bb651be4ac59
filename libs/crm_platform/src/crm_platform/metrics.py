"""Prometheus metrics of the chassis, and the per-process HTTP endpoint that serves them.

The endpoint also answers /healthz (the process is alive) and /readyz (its dependencies answer),
for processes that have no gRPC server to probe.
"""

from __future__ import annotations

import os
import socketserver
import threading
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    make_wsgi_app,
    multiprocess,
)

from crm_platform.multiprocess import MULTIPROC_ENV

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

GRPC_HANDLED = Counter(
    "crm_grpc_server_handled_total",
    "gRPC calls completed by the server, by method and status code.",
    ["grpc_service", "grpc_method", "grpc_code"],
)
GRPC_LATENCY = Histogram(
    "crm_grpc_server_handling_seconds",
    "Time to handle a gRPC call.",
    ["grpc_service", "grpc_method"],
    buckets=LATENCY_BUCKETS,
)
HTTP_REQUESTS = Counter(
    "crm_http_requests_total",
    "HTTP requests answered, by route, method and status.",
    ["route", "method", "status"],
)
HTTP_LATENCY = Histogram(
    "crm_http_request_duration_seconds",
    "Time to answer an HTTP request.",
    ["route", "method"],
    buckets=LATENCY_BUCKETS,
)
OUTBOX_BACKLOG = Gauge(
    "crm_outbox_backlog",
    "Outbox rows not yet published.",
    multiprocess_mode="livemax",  # how gunicorn workers' values combine
)
OUTBOX_PUBLISHED = Counter(
    "crm_outbox_published_total",
    "Outbox rows published and confirmed by the broker.",
)
OUTBOX_PRUNED = Counter(
    "crm_outbox_pruned_total",
    "Published outbox rows deleted after the retention.",
)
OUTBOX_FAILURES = Counter(
    "crm_outbox_publish_failures_total",
    "Outbox publish attempts that failed (unroutable, nacked, connection lost).",
    ["reason"],
)
OUTBOX_PUBLISH_LATENCY = Histogram(
    "crm_outbox_publish_latency_seconds",
    "Time from the event's commit to the broker's confirm.",
    buckets=LATENCY_BUCKETS,
)
CONSUMER_MESSAGES = Counter(
    "crm_consumer_messages_total",
    "Events received by a consumer, by outcome (handled, duplicate, failed, dead_lettered).",
    ["consumer", "event_type", "outcome"],
)
CONSUMER_LAG = Gauge(
    "crm_consumer_lag_seconds",
    "Age of the last event a consumer handled, at the time it was handled.",
    ["consumer"],
    multiprocess_mode="livemax",  # how gunicorn workers' values combine
)
DB_POOL_CHECKED_OUT = Gauge(
    "crm_db_pool_connections_in_use",
    "Database connections checked out of the pool.",
    multiprocess_mode="livesum",  # how gunicorn workers' values combine
)
DB_POOL_SIZE = Gauge(
    "crm_db_pool_size",
    "Database connections the pool may hold.",
    multiprocess_mode="livesum",  # how gunicorn workers' values combine
)
READY = Gauge(
    "crm_dependency_up",
    "1 when a dependency (database, broker) answered the last check, else 0.",
    ["dependency"],
    multiprocess_mode="livemin",  # how gunicorn workers' values combine
)

Environ = dict[str, Any]
StartResponse = Callable[..., Any]


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass  # scrapes every few seconds would drown the logs


class _ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


def serve_metrics(
    port: int,
    *,
    ready: Callable[[], bool],
    registry: CollectorRegistry = REGISTRY,
    host: str = "0.0.0.0",  # noqa: S104 - scraped from other pods
) -> WSGIServer:
    """Serve /metrics (from `registry`), /healthz and /readyz on `port` in a daemon thread."""
    metrics_app = make_wsgi_app(registry)

    def app(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/healthz":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok\n"]
        if path == "/readyz":
            ok = ready()
            start_response(
                "200 OK" if ok else "503 Service Unavailable", [("Content-Type", "text/plain")]
            )
            return [b"ready\n" if ok else b"not ready\n"]
        return metrics_app(environ, start_response)  # type: ignore[no-any-return]

    server = make_server(
        host, port, app, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler
    )
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
    return server


def served_registry() -> CollectorRegistry:
    """What a metrics port serves: this process's metrics or, in multiprocess mode
    (crm_platform.multiprocess), every process's of the directory."""
    directory = os.environ.get(MULTIPROC_ENV)
    if not directory:
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=directory)  # type: ignore[no-untyped-call]
    return registry


def forget_process(pid: int) -> None:
    """A process of the directory has exited: its live gauges no longer count."""
    if directory := os.environ.get(MULTIPROC_ENV):
        multiprocess.mark_process_dead(pid, path=directory)  # type: ignore[no-untyped-call]
