"""Real processes for system tests: start a service with its environment, wait until it is
ready, stop it with SIGTERM (or kill it), and keep its log for the failure report. And a role
(a server, relay or consumer) in a thread of the test's own process.

A polled condition names what it depends on (`wait_until(..., watching=...)`): when one of
those processes or roles has stopped unasked, the wait ends at once with its exit code and the
end of its log (or the role's traceback) instead of running out its timeout.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import socket
import subprocess
import threading
import time
import traceback
import urllib.request
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Protocol

EPHEMERAL_PORTS = Path("/proc/sys/net/ipv4/ip_local_port_range")
_POOL_SIZE = 10_000


def _port_pool() -> Iterator[int]:
    """Candidate ports below the kernel's ephemeral range. A port the kernel hands out for
    port 0 is in that range, where any process's outgoing connection (to PostgreSQL, RabbitMQ)
    may take it between this check and the service binding it; below the range only a
    listener can, and every port is offered once per test process."""
    low = 32768
    with contextlib.suppress(OSError, ValueError):
        low = int(EPHEMERAL_PORTS.read_text().split()[0])
    start = max(1024, low - _POOL_SIZE)
    ports = list(range(start, low))
    random.Random(os.getpid()).shuffle(ports)  # concurrent test runs start apart
    return iter(ports)


_pool: Iterator[int] | None = None
_pool_lock = threading.Lock()


def free_port() -> int:
    """A port nothing listens on now and that this process has not handed out before."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = _port_pool()
        for port in _pool:
            with socket.socket() as sock:
                try:
                    sock.bind(("0.0.0.0", port))  # noqa: S104 - the services listen on every address
                except OSError:
                    continue
            return port
    raise RuntimeError("no free port left below the ephemeral range")


class Watched(Protocol):
    """A process or role that a polled condition depends on."""

    def failure(self) -> str | None:
        """Why it has stopped although nobody asked it to, or None while that has not happened."""


class ProcessDied(RuntimeError):
    """A process or role that a polled condition depends on has stopped: it cannot come true."""


def wait_until(
    predicate: Callable[[], bool],
    *,
    timeout: float,
    interval: float = 0.1,
    what: str = "condition",
    watching: Collection[Watched] = (),
) -> None:
    """Poll `predicate` (its exceptions count as "not yet") until it is true; raise
    `TimeoutError` after `timeout`, or `ProcessDied` as soon as one of `watching` has stopped.
    `watching` is read again at every poll, so a live view (`dict.values()`) sees restarts."""
    deadline = time.monotonic() + timeout
    while True:
        for watched in watching:
            if (failure := watched.failure()) is not None:
                raise ProcessDied(f"while waiting for {what}: {failure}")
        with contextlib.suppress(Exception):
            if predicate():
                return
        if time.monotonic() >= deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


class RoleThread(threading.Thread):
    """`role(stop)` on a daemon thread, keeping the traceback if the role raises."""

    def __init__(self, role: Callable[[threading.Event], object], stop: threading.Event) -> None:
        super().__init__(name=getattr(role, "__qualname__", "role"), daemon=True)
        self.role = role
        self.stop = stop
        self.error: str | None = None

    def run(self) -> None:
        try:
            self.role(self.stop)
        except BaseException:
            self.error = traceback.format_exc()
            raise

    def failure(self) -> str | None:
        if self.is_alive() or self.stop.is_set() or self.ident is None:
            return None
        return f"the role {self.name} stopped: {self.error or 'it returned unasked'}"


@contextlib.contextmanager
def role_in_thread(
    role: Callable[[threading.Event], object], *, join_timeout: float = 20.0
) -> Iterator[RoleThread]:
    """Run `role(stop)` in a thread; on exit set `stop` and join it (the caller may check
    that it stopped, and may watch it in `wait_until`)."""
    thread = RoleThread(role, threading.Event())
    thread.start()
    try:
        yield thread
    finally:
        thread.stop.set()
        thread.join(timeout=join_timeout)


def http_ok(url: str) -> bool:
    with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - local test URL
        return bool(response.status == 200)


class ServiceProcess:
    def __init__(
        self, name: str, command: Sequence[str], env: Mapping[str, str], log_dir: Path
    ) -> None:
        self.name = name
        self.command = list(command)
        self.env = {**os.environ, **env}
        self.log_path = log_dir / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self._stopped_on_purpose = False

    def start(self) -> ServiceProcess:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            self.command, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        self._stopped_on_purpose = False
        return self

    def wait_ready(
        self, url: str, timeout: float = 120.0, *, watching: Collection[Watched] = ()
    ) -> ServiceProcess:
        """Wait until `url` answers 200; this process dying (or one of `watching`) ends it."""
        try:
            wait_until(
                lambda: http_ok(url),
                timeout=timeout,
                what=f"{self.name} at {url}",
                watching=[self, *watching],
            )
        except TimeoutError as exc:
            raise TimeoutError(f"{exc}\n{self.log()}") from None
        return self

    def failure(self) -> str | None:
        if self.process is None or self._stopped_on_purpose or self.process.poll() is None:
            return None
        return f"{self.name} exited with {self.process.returncode}; its log ends:\n{self.log()}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-6000:] if self.log_path.exists() else ""

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 20.0) -> int | None:
        """SIGTERM, then SIGKILL after `timeout`; returns the exit code."""
        self.terminate()
        return self.wait_stopped(timeout)

    def terminate(self) -> None:
        """SIGTERM, without waiting: `wait_stopped` then waits (several processes stop at once)."""
        self._stopped_on_purpose = True
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def wait_stopped(self, timeout: float = 20.0) -> int | None:
        """The exit code once stopped; SIGKILL after `timeout`."""
        if self.process is None:
            return None
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        return self.process.returncode

    def kill(self) -> None:
        self._stopped_on_purpose = True
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
