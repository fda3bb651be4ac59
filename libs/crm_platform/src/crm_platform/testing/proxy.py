"""A fault-injecting TCP proxy for tests: put it between a process and a server, then cut the
connections, refuse new ones for a while, and resume.

    with FaultProxy("127.0.0.1", 5672) as proxy:
        url = proxy.rewrite("amqp://guest:guest@127.0.0.1:5672/vhost")  # through the proxy
        ...
        proxy.cut()                      # reset every open connection
        proxy.refuse()                   # new connections are reset at once ...
        proxy.resume()                   # ... until this
        proxy.cut_after(20_000, refuse_for=0.5)  # mid-stream: after 20 kB more, both ways

Connections are reset (RST), as when a server or a network path dies; clients see the error at
once instead of waiting for a heartbeat timeout. Each connection uses two threads, one per
direction, so a slow reader on one side never stalls the other direction.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
import urllib.parse
from types import TracebackType
from typing import Self

_CHUNK = 65536


def _reset(sock: socket.socket) -> None:
    """Close with SO_LINGER 0, which sends RST instead of FIN; wakes a thread blocked on it."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()


class _Link:
    """One proxied connection: the client's socket and ours to the target."""

    def __init__(self, proxy: FaultProxy, client: socket.socket, upstream: socket.socket) -> None:
        self.proxy = proxy
        self.client = client
        self.upstream = upstream
        self._closed = threading.Event()

    def start(self) -> None:
        for source, sink, name in (
            (self.client, self.upstream, "up"),
            (self.upstream, self.client, "down"),
        ):
            threading.Thread(
                target=self._pump, args=(source, sink), name=f"proxy-{name}", daemon=True
            ).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while not self._closed.is_set():
                data = source.recv(_CHUNK)
                if not data:
                    break
                sink.sendall(data)
                self.proxy._count(len(data))
        except OSError:
            pass
        self.reset()

    def reset(self) -> None:
        if self._closed.is_set():
            return
        self._closed.set()
        _reset(self.client)
        _reset(self.upstream)
        self.proxy._forget(self)


class FaultProxy:
    def __init__(self, target_host: str, target_port: int, *, host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self._listener = socket.create_server((host, 0))
        self._listener.settimeout(0.1)
        self.host = host
        self.port: int = self._listener.getsockname()[1]
        self._links: set[_Link] = set()
        self._lock = threading.Lock()
        self._refusing = False
        self._resume_at: float | None = None
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._accept, name="proxy-accept", daemon=True)
        self._cut_budget: int | None = None  # bytes still to forward before cut_after fires
        self._cut_refuse_for = 0.0
        self.connections_accepted = 0
        self.bytes_forwarded = 0

    @classmethod
    def for_url(cls, url: str) -> FaultProxy:
        """A proxy to the host and port of `url` (default port for amqp and postgresql)."""
        parts = urllib.parse.urlsplit(url)
        default = {"amqp": 5672, "amqps": 5671}.get(parts.scheme, 5432)
        return cls(parts.hostname or "127.0.0.1", parts.port or default)

    def rewrite(self, url: str) -> str:
        """`url` with its host and port replaced by the proxy's."""
        parts = urllib.parse.urlsplit(url)
        credentials = parts.netloc.rpartition("@")[0]
        netloc = f"{credentials}@" if credentials else ""
        return urllib.parse.urlunsplit(parts._replace(netloc=f"{netloc}{self.host}:{self.port}"))

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=5)
        self._listener.close()
        self.cut()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def open_connections(self) -> int:
        with self._lock:
            return len(self._links)

    def cut(self) -> int:
        """Reset every open connection; returns how many there were."""
        with self._lock:
            links = list(self._links)
        for link in links:
            link.reset()
        return len(links)

    def refuse(self, seconds: float | None = None) -> None:
        """Reset new connections as soon as they arrive: for `seconds`, or until `resume`."""
        with self._lock:
            self._refusing = True
            self._resume_at = None if seconds is None else time.monotonic() + seconds

    def resume(self) -> None:
        with self._lock:
            self._refusing = False
            self._resume_at = None

    def outage(self, seconds: float | None = None) -> None:
        """The server goes away: cut every connection and refuse new ones."""
        self.refuse(seconds)
        self.cut()

    def cut_after(self, forwarded_bytes: int, *, refuse_for: float = 0.0) -> None:
        """Once `forwarded_bytes` more bytes have passed (both directions together), cut every
        connection and refuse new ones for `refuse_for` seconds: a failure in mid-stream."""
        with self._lock:
            self._cut_budget = forwarded_bytes
            self._cut_refuse_for = refuse_for

    @property
    def armed(self) -> bool:
        """True while a `cut_after` has not fired yet."""
        with self._lock:
            return self._cut_budget is not None

    def _refusing_now(self) -> bool:
        with self._lock:
            if self._resume_at is not None and time.monotonic() >= self._resume_at:
                self._refusing, self._resume_at = False, None
            return self._refusing

    def _count(self, size: int) -> None:
        with self._lock:
            self.bytes_forwarded += size
            if self._cut_budget is None:
                return
            self._cut_budget -= size
            if self._cut_budget > 0:
                return
            self._cut_budget = None
            refuse_for = self._cut_refuse_for
        if refuse_for > 0:
            self.refuse(refuse_for)
        self.cut()

    def _forget(self, link: _Link) -> None:
        with self._lock:
            self._links.discard(link)

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _address = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            if self._refusing_now():
                _reset(client)
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                _reset(client)
                continue
            upstream.settimeout(None)
            for sock in (client, upstream):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            link = _Link(self, client, upstream)
            with self._lock:
                self._links.add(link)
                self.connections_accepted += 1
            link.start()
