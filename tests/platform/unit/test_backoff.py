"""Backoff: grows exponentially, is capped, is jittered downwards only, and resets."""

from __future__ import annotations

import pytest
from crm_platform.backoff import Backoff, retry_delay


def test_delays_grow_then_cap_with_jitter_below_the_nominal_delay():
    backoff = Backoff(initial=0.2, maximum=3.0)
    nominal = [0.2, 0.4, 0.8, 1.6, 3.0, 3.0, 3.0]
    for expected in nominal:
        delay = backoff.next_delay()
        assert expected * 0.5 <= delay <= expected


def test_reset_starts_over():
    backoff = Backoff(initial=1.0, maximum=100.0)
    for _ in range(5):
        backoff.next_delay()
    backoff.reset()
    assert 0.5 <= backoff.next_delay() <= 1.0


def test_retry_delay_doubles_per_failure_up_to_the_cap():
    assert [retry_delay(n) for n in range(1, 6)] == [1.0, 2.0, 4.0, 8.0, 16.0]
    assert retry_delay(0) == 1.0
    assert retry_delay(50) == 300.0
    assert retry_delay(3, initial=0.5, maximum=1.0) == pytest.approx(1.0)
