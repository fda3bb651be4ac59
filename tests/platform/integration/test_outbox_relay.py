"""The outbox relay publishes what was committed, only that, and never marks a row published
without the broker's confirm."""

from __future__ import annotations

import contextlib

import pytest
from crm_platform import amqp, context
from crm_platform.events import CONTENT_TYPE, decode
from crm_platform.relay import OutboxRelay
from crm_platform.testing.processes import wait_until
from google.protobuf.wrappers_pb2 import StringValue

pytestmark = pytest.mark.integration


def test_publishes_exactly_the_committed_events(db, broker, start_role):
    tap = broker.tap()
    token = context.correlation_id.set("corr-123")
    try:
        committed = db.emit(5)
    finally:
        context.correlation_id.reset(token)
    with db.unit_of_work() as uow:  # left without commit
        uow.emit(StringValue(value="abandoned"), subject="abandoned")
    with contextlib.suppress(RuntimeError), db.unit_of_work() as uow:
        uow.emit(StringValue(value="failed"), subject="failed")
        raise RuntimeError("the command failed after emitting")
    with db.unit_of_work() as uow:
        uow.emit(StringValue(value="rolled back"), subject="rolled-back")
        uow.rollback()
        uow.commit()

    start_role(OutboxRelay(db.engine, broker.url, app_id="platform-test").run)

    wait_until(
        lambda: db.count("outbox", "WHERE published_at IS NULL") == 0,
        timeout=20,
        what="the outbox to drain",
    )
    wait_until(lambda: broker.count(tap) == 5, timeout=10, what="5 messages in the tap")
    messages = broker.take_all(tap)
    assert db.count("outbox") == 5
    assert sorted(p.message_id for p, _ in messages) == sorted(committed)
    for properties, body in messages:
        event = decode(body)
        assert event.id == properties.message_id
        assert properties.type == event.type == "google.protobuf.StringValue"
        assert properties.content_type == CONTENT_TYPE
        assert properties.delivery_mode == 2
        assert properties.app_id == "platform-test"
        assert properties.headers == {"correlation_id": "corr-123"}
        assert event.subject.startswith("subject-")


def test_unroutable_event_stays_pending_until_routable(db, broker, start_role):
    start_role(OutboxRelay(db.engine, broker.url, app_id="platform-test").run)
    # The relay declares the topology (the stream is bound to every event) when it connects;
    # deleting the stream afterwards leaves nothing bound, so every publish is returned.
    wait_until(
        lambda: broker.exists(amqp.EVENT_LOG_STREAM), timeout=10, what="the relay to connect"
    )
    broker.channel.queue_delete(amqp.EVENT_LOG_STREAM)
    [event_id] = db.emit(1)

    def retried_twice() -> bool:
        with db.engine.connect() as connection:
            row = connection.execute(db.outbox_row(event_id)).one()
        return row.attempts >= 2

    wait_until(retried_twice, timeout=15, what="two refused attempts")
    with db.engine.connect() as connection:
        row = connection.execute(db.outbox_row(event_id)).one()
    assert row.published_at is None
    assert row.last_error == "unroutable by the broker"
    assert row.next_attempt_at is not None

    tap = broker.tap()  # routable again
    wait_until(lambda: broker.count(tap) == 1, timeout=15, what="the retried event")
    wait_until(
        lambda: db.count("outbox", "WHERE published_at IS NOT NULL") == 1,
        timeout=5,
        what="the row marked published",
    )
    [(properties, _body)] = broker.take_all(tap)
    assert properties.message_id == event_id
