"""The per-process HTTP endpoint: /metrics in the Prometheus text format (valid for promtool),
/healthz always, /readyz following readiness."""

from __future__ import annotations

import subprocess
import urllib.error
import urllib.request

import pytest
from crm_platform import metrics
from crm_platform.testing import required

pytestmark = pytest.mark.integration


@pytest.fixture
def ready_flag():
    return {"ready": False}


@pytest.fixture
def endpoint(ready_flag):
    server = metrics.serve_metrics(0, ready=lambda: ready_flag["ready"], host="127.0.0.1")
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def _get(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - local test URL
            return response.status, response.headers["Content-Type"], response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read().decode()


def _record_one_of_each() -> None:
    """Every labelled family with at least one sample, as in a process that has worked."""
    metrics.GRPC_HANDLED.labels("crm.platformtest.v1.Probe", "Call", "OK").inc()
    metrics.GRPC_LATENCY.labels("crm.platformtest.v1.Probe", "Call").observe(0.01)
    metrics.HTTP_REQUESTS.labels("/api/v1/customers", "GET", "200").inc()
    metrics.HTTP_LATENCY.labels("/api/v1/customers", "GET").observe(0.02)
    metrics.OUTBOX_FAILURES.labels("unroutable").inc()
    metrics.OUTBOX_PUBLISH_LATENCY.observe(0.005)
    metrics.CONSUMER_MESSAGES.labels("probe", "google.protobuf.StringValue", "handled").inc()
    metrics.CONSUMER_LAG.labels("probe").set(0.3)
    metrics.READY.labels("database").set(1)


def test_health_and_readiness(endpoint, ready_flag):
    assert _get(f"{endpoint}/healthz")[0] == 200
    assert _get(f"{endpoint}/readyz")[0] == 503
    ready_flag["ready"] = True
    assert _get(f"{endpoint}/readyz")[0] == 200


def test_metrics_are_served(endpoint):
    _record_one_of_each()
    status, content_type, body = _get(f"{endpoint}/metrics")
    assert status == 200
    assert content_type.startswith("text/plain")
    for family in (
        "crm_grpc_server_handled_total",
        "crm_grpc_server_handling_seconds_bucket",
        "crm_outbox_backlog",
        "crm_outbox_published_total",
        "crm_outbox_publish_latency_seconds_count",
        "crm_consumer_messages_total",
        "crm_consumer_lag_seconds",
        "crm_db_pool_connections_in_use",
        "crm_dependency_up",
    ):
        assert f"\n{family}" in body


def test_metrics_pass_promtool(endpoint):
    promtool = required.tool("promtool", package="prometheus")
    _record_one_of_each()
    _status, _type, body = _get(f"{endpoint}/metrics")
    check = subprocess.run(
        [promtool, "check", "metrics"], input=body, capture_output=True, text=True, timeout=30
    )
    assert check.returncode == 0, check.stdout + check.stderr
