"""A circuit breaker per backend service, so that one service being down costs its own routes
a fast 503 instead of every worker waiting out deadlines on it.

Closed: calls go through; `threshold` consecutive failures that say the service is away
(UNAVAILABLE, DEADLINE_EXCEEDED) open it. Open: calls fail at once with `CircuitOpen` for
`cool_down` seconds. Then half-open: one call goes through as a probe (the others still fail
fast); its success closes the circuit, its failure opens it again. Any other answer, errors
included, shows the service is there and resets the count.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from enum import StrEnum
from typing import TypeVar

import grpc

T = TypeVar("T")

DEFAULT_THRESHOLD = 5
DEFAULT_COOL_DOWN = 5.0  # seconds
AWAY = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED})


class State(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitOpen(Exception):
    """The service failed recently: not called, so the caller answers at once."""

    def __init__(self, service: str, retry_after: float) -> None:
        super().__init__(f"the {service} service is unavailable")
        self.service = service
        self.retry_after = retry_after


def is_away(error: BaseException) -> bool:
    return isinstance(error, grpc.RpcError) and error.code() in AWAY


class CircuitBreaker:
    def __init__(
        self,
        service: str,
        *,
        threshold: int = DEFAULT_THRESHOLD,
        cool_down: float = DEFAULT_COOL_DOWN,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.service = service
        self.threshold = threshold
        self.cool_down = cool_down
        self._clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at: float | None = None
        self._probing = False

    @property
    def state(self) -> State:
        with self._lock:
            return self._state()

    def _state(self) -> State:
        if self._opened_at is None:
            return State.CLOSED
        if self._clock() - self._opened_at >= self.cool_down:
            return State.HALF_OPEN
        return State.OPEN

    def call(self, action: Callable[[], T]) -> T:
        self._admit()
        try:
            result = action()
        except BaseException as error:
            self._record(away=is_away(error))
            raise
        self._record(away=False)
        return result

    def _admit(self) -> None:
        with self._lock:
            state = self._state()
            if state is State.CLOSED:
                return
            if state is State.HALF_OPEN and not self._probing:
                self._probing = True  # this call is the probe
                return
            assert self._opened_at is not None
            left = max(self.cool_down - (self._clock() - self._opened_at), 0.0)
        raise CircuitOpen(self.service, left)

    def _record(self, *, away: bool) -> None:
        with self._lock:
            self._probing = False
            if not away:
                self._failures = 0
                self._opened_at = None
                return
            self._failures += 1
            if self._opened_at is not None or self._failures >= self.threshold:
                self._opened_at = self._clock()
