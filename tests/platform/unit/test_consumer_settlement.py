"""How the consumer settles a delivery, with the database faked away: applied -> ack, handler
failure -> back to the queue (counts toward the delivery limit), unreadable -> dead letter,
database unavailable -> wait and retry with the event in hand (no delivery burnt)."""

from __future__ import annotations

import threading

import pytest
from crm_platform import amqp, consumer
from crm_platform.consumer import EventConsumer, Settlement
from crm_platform.events import to_cloudevent
from google.protobuf.wrappers_pb2 import StringValue
from sqlalchemy.exc import OperationalError, ProgrammingError

BODY = to_cloudevent(StringValue(value="v"), source="/crm/x", subject="s").SerializeToString()


class FlakyApply:
    """Stands in for apply_once: fails with the given errors first, then applies."""

    def __init__(self, *failures: Exception) -> None:
        self.failures = list(failures)
        self.calls = 0

    def __call__(self, *_args: object) -> bool:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return True


def _consumer() -> EventConsumer:
    return EventConsumer(
        "amqp://unused/", amqp.Subscription("probe", ("#",)), {}, uow_factory=lambda: None
    )


def _database_down() -> OperationalError:
    return OperationalError("SELECT 1", {}, Exception("connection refused"))


@pytest.fixture
def fast_backoff(monkeypatch):
    monkeypatch.setattr(consumer.Backoff, "next_delay", lambda self: 0.001)


def test_applied_event_is_acked(monkeypatch):
    monkeypatch.setattr(consumer, "apply_once", FlakyApply())
    assert _consumer()._handle({}, BODY, threading.Event()) is Settlement.ACK


def test_unreadable_message_is_dead_lettered_at_once(monkeypatch):
    apply = FlakyApply()
    monkeypatch.setattr(consumer, "apply_once", apply)
    assert _consumer()._handle({}, b"\x00junk", threading.Event()) is Settlement.DEAD_LETTER
    assert apply.calls == 0


def test_failing_handler_returns_the_event_to_the_queue(monkeypatch):
    monkeypatch.setattr(consumer, "apply_once", FlakyApply(ValueError("bug in handler")))
    headers = {"x-delivery-count": 1}
    assert _consumer()._handle(headers, BODY, threading.Event()) is Settlement.RETURN


def test_database_outage_is_waited_out_with_the_event_in_hand(monkeypatch, fast_backoff):
    apply = FlakyApply(_database_down(), _database_down(), _database_down())
    monkeypatch.setattr(consumer, "apply_once", apply)
    assert _consumer()._handle({}, BODY, threading.Event()) is Settlement.ACK
    assert apply.calls == 4


def test_a_schema_error_is_not_mistaken_for_an_outage(monkeypatch, fast_backoff):
    missing = ProgrammingError("SELECT", {}, Exception('relation "inbox" does not exist'))
    apply = FlakyApply(missing)
    monkeypatch.setattr(consumer, "apply_once", apply)
    assert _consumer()._handle({}, BODY, threading.Event()) is Settlement.RETURN
    assert apply.calls == 1


def test_stopping_during_an_outage_leaves_the_event_unsettled(monkeypatch):
    monkeypatch.setattr(consumer, "apply_once", FlakyApply(_database_down()))
    stop = threading.Event()
    stop.set()
    assert _consumer()._handle({}, BODY, stop) is None
