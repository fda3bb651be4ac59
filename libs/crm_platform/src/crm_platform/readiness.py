"""Readiness: are the process's dependencies (database, broker) answering?

A background thread checks them every few seconds; gRPC health, /readyz and the
crm_dependency_up gauge all read the same cached answer. Each role that runs adds what it
needs (the broker only for the relay and the consumer, which say whether their own connection
is up).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from crm_platform import metrics

log = logging.getLogger(__name__)

Check = Callable[[], None]  # raises when the dependency does not answer


class Readiness:
    def __init__(self, checks: dict[str, Check], *, interval: float = 2.0) -> None:
        self.checks = checks
        self.interval = interval
        self._status: dict[str, bool] = dict.fromkeys(checks, False)
        self._listeners: list[Callable[[bool], None]] = []
        self._lock = threading.Lock()
        self._announced: bool | None = None

    def require(self, name: str, check: Check) -> None:
        """Add a dependency; not ready until it has answered. The next check announces its
        answer again, also to listeners that came after the last announcement (a server that
        started after readiness was first announced)."""
        with self._lock:
            self.checks = {**self.checks, name: check}
            self._status.setdefault(name, False)
            self._announced = None

    def is_ready(self) -> bool:
        with self._lock:
            return all(self._status.values())

    def on_change(self, listener: Callable[[bool], None]) -> None:
        self._listeners.append(listener)

    def check_now(self) -> bool:
        for name, check in self.checks.items():
            try:
                check()
                up = True
            except Exception as exc:
                up = False
                if self._status.get(name, True):
                    log.warning(
                        "%s unreachable: %s", name, (str(exc).strip() or type(exc).__name__)[:300]
                    )
            with self._lock:
                self._status[name] = up
            metrics.READY.labels(name).set(1 if up else 0)
        ready = self.is_ready()
        if ready != self._announced:
            self._announced = ready
            for listener in self._listeners:
                listener(ready)
        return ready

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            self.check_now()
            stop.wait(self.interval)
