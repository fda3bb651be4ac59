"""A service's API in several processes on one host (CRM_<SERVICE>_API_PROCESSES): they share
the gRPC port, the kernel spreads the connections among them, the main process's metrics port
counts every process's calls, and they stop together."""

from __future__ import annotations

import re
import signal

import grpc
import httpx
import psutil
import pytest
from crm_platform.testing.processes import free_port
from crm_proto.crm.customer.v1 import customer_pb2, customer_pb2_grpc

from tests.system.stack import Stack

# processes started, killed and counted: `make test-slow`
pytestmark = [pytest.mark.system, pytest.mark.slow]

CONNECTIONS = 16


def _serving_processes(main: psutil.Process, port: int) -> dict[int, int]:
    """Established connections on `port`, by the pid of the process that holds them."""
    counts = {}
    for process in [main, *main.children()]:
        counts[process.pid] = sum(
            1
            for connection in process.net_connections(kind="tcp")
            if connection.laddr.port == port and connection.status == psutil.CONN_ESTABLISHED
        )
    return counts


def _listens(process: psutil.Process, port: int) -> bool:
    return any(
        connection.laddr.port == port and connection.status == psutil.CONN_LISTEN
        for connection in process.net_connections(kind="tcp")
    )


def _handled(metrics_url: str, method: str) -> float:
    text = httpx.get(f"{metrics_url}/metrics", timeout=5).text
    pattern = rf'^crm_grpc_server_handled_total{{[^}}]*grpc_method="{method}"[^}}]*}} (\S+)$'
    return sum(float(value) for value in re.findall(pattern, text, re.MULTILINE))


def test_two_api_processes_share_the_port_and_the_metrics(stack: Stack) -> None:
    port, metrics_port = free_port(), free_port()
    process = stack.start(
        "customer x2", "customer", "api",
        {"CRM_CUSTOMER_PORT": str(port), "CRM_CUSTOMER_METRICS_PORT": str(metrics_port),
         "CRM_CUSTOMER_API_PROCESSES": "2"},
    )  # fmt: skip
    metrics_url = f"http://127.0.0.1:{metrics_port}"
    stack.wait_ready("customer x2", f"{metrics_url}/readyz")
    assert process.process is not None
    main = psutil.Process(process.process.pid)
    stack.wait_until(lambda: len(main.children()) == 1, timeout=30, what="the second process")
    [other] = main.children()
    # the main process is ready first; until the other listens too, the kernel has only one
    # socket to give connections to
    stack.wait_until(lambda: _listens(other, port), timeout=30, what="the second process to listen")

    token = stack.admin_token()
    # a subchannel pool of each channel's own: one connection each (the default pool would
    # share one among them)
    channels = [
        grpc.insecure_channel(f"127.0.0.1:{port}", options=[("grpc.use_local_subchannel_pool", 1)])
        for _ in range(CONNECTIONS)
    ]
    try:
        for channel in channels:  # one connection each: the kernel picks the process
            grpc.channel_ready_future(channel).result(timeout=30)
            customer_pb2_grpc.CustomerServiceStub(channel).ListCustomers(
                customer_pb2.ListCustomersRequest(),
                metadata=[("authorization", f"Bearer {token}")],
                timeout=10,
            )
        served = _serving_processes(main, port)
    finally:
        for channel in channels:
            channel.close()

    assert set(served) == {main.pid, other.pid}
    assert sum(served.values()) == CONNECTIONS
    assert all(count > 0 for count in served.values()), served  # both processes served
    stack.wait_until(
        lambda: _handled(metrics_url, "ListCustomers") == CONNECTIONS,
        timeout=10,
        what="every process's calls on the main process's metrics port",
    )

    assert process.stop() == 0  # SIGTERM drains both
    assert not other.is_running() or other.status() == psutil.STATUS_ZOMBIE


def test_an_api_process_that_dies_stops_the_service_for_its_supervisor(stack: Stack) -> None:
    port, metrics_port = free_port(), free_port()
    process = stack.start(
        "customer x2 killed", "customer", "api",
        {"CRM_CUSTOMER_PORT": str(port), "CRM_CUSTOMER_METRICS_PORT": str(metrics_port),
         "CRM_CUSTOMER_API_PROCESSES": "2"},
    )  # fmt: skip
    stack.wait_ready("customer x2 killed", f"http://127.0.0.1:{metrics_port}/readyz")
    assert process.process is not None
    main = psutil.Process(process.process.pid)
    stack.wait_until(lambda: len(main.children()) == 1, timeout=30, what="the second process")
    main.children()[0].send_signal(signal.SIGKILL)
    assert process.process.wait(timeout=60) == 1  # the supervisor starts it anew
    process.stop()  # stopped on purpose: the stack's watch does not report it
