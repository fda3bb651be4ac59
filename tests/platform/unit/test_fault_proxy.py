"""The fault-injecting proxy forwards both ways, cuts, refuses, resumes, and cuts mid-stream."""

from __future__ import annotations

import socket
import socketserver
import threading

import pytest
from crm_platform.testing.processes import wait_until
from crm_platform.testing.proxy import FaultProxy


class _Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        while data := self.request.recv(65536):
            self.request.sendall(data)


@pytest.fixture
def echo_server():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Echo)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield server.server_address
    server.shutdown()
    server.server_close()


@pytest.fixture
def proxy(echo_server):
    with FaultProxy(*echo_server) as proxy:
        yield proxy


def _connect(proxy: FaultProxy) -> socket.socket:
    sock = socket.create_connection((proxy.host, proxy.port), timeout=5)
    return sock


def _echo(sock: socket.socket, payload: bytes) -> bytes:
    sock.sendall(payload)
    received = b""
    while len(received) < len(payload):
        chunk = sock.recv(65536)
        if not chunk:
            break
        received += chunk
    return received


def _is_dead(sock: socket.socket) -> bool:
    try:
        sock.sendall(b"x")
        return sock.recv(1) == b""
    except OSError:
        return True


def _refused(proxy: FaultProxy) -> bool:
    """The connection is reset: at once (connect fails) or as soon as it is used."""
    try:
        sock = _connect(proxy)
    except OSError:
        return True
    with sock:
        return _is_dead(sock)


def test_forwards_both_ways(proxy):
    with _connect(proxy) as sock:
        assert _echo(sock, b"hello" * 10_000) == b"hello" * 10_000
    # counted just after forwarding, so possibly a moment after the echo arrived
    wait_until(lambda: proxy.bytes_forwarded == 100_000, timeout=5, what="the byte count")


def test_cut_resets_open_connections_and_new_ones_work(proxy):
    with _connect(proxy) as sock:
        assert _echo(sock, b"ping") == b"ping"
        wait_until(lambda: proxy.open_connections == 1, timeout=5, what="the link")
        assert proxy.cut() == 1
        assert _is_dead(sock)
    with _connect(proxy) as sock:
        assert _echo(sock, b"again") == b"again"


def test_refuse_until_resume(proxy):
    proxy.refuse()
    assert _refused(proxy)
    proxy.resume()
    with _connect(proxy) as sock:
        assert _echo(sock, b"back") == b"back"


def test_refuse_for_a_while_resumes_by_itself(proxy):
    proxy.refuse(seconds=0.3)

    def accepted() -> bool:
        with _connect(proxy) as sock:
            return _echo(sock, b"?") == b"?"

    wait_until(accepted, timeout=5, what="the proxy to resume")


def test_cut_after_fires_once_the_bytes_have_passed(proxy):
    with _connect(proxy) as sock:
        proxy.cut_after(1000)
        assert _echo(sock, b"a" * 100) == b"a" * 100  # 200 bytes both ways: not yet
        assert proxy.armed
        sock.sendall(b"b" * 2000)
        wait_until(lambda: not proxy.armed, timeout=5, what="the cut")
        assert _is_dead(sock)


def test_url_rewrite_points_at_the_proxy(proxy):
    url = proxy.rewrite("amqp://guest:secret@broker.example:5672/vhost")
    assert url == f"amqp://guest:secret@127.0.0.1:{proxy.port}/vhost"
    assert proxy.rewrite("postgresql://db/x") == f"postgresql://127.0.0.1:{proxy.port}/x"
