"""Capped exponential backoff with jitter, for reconnecting and retrying."""

from __future__ import annotations

import random


class Backoff:
    def __init__(self, initial: float = 0.2, maximum: float = 15.0) -> None:
        self.initial = initial
        self.maximum = maximum
        self.attempts = 0

    def next_delay(self) -> float:
        delay = min(self.maximum, self.initial * 2.0**self.attempts)
        self.attempts += 1
        return delay * random.uniform(0.5, 1.0)

    def reset(self) -> None:
        self.attempts = 0


def retry_delay(attempts: int, *, initial: float = 1.0, maximum: float = 300.0) -> float:
    """Delay before retrying something that has failed `attempts` times (no jitter)."""
    return min(maximum, initial * 2.0 ** max(0, attempts - 1))
