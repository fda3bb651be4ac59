"""The outbox relay publishes what was committed, only that, and never marks a row published
without the broker's confirm."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta

import pytest
from crm_platform import amqp, context
from crm_platform import relay as relay_module
from crm_platform.events import CONTENT_TYPE, decode
from crm_platform.relay import OutboxRelay
from crm_platform.tables import outbox
from crm_platform.testing.processes import wait_until
from google.protobuf.wrappers_pb2 import StringValue
from sqlalchemy import select, update

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


def test_published_rows_past_the_retention_are_pruned_and_nothing_else(db, monkeypatch):
    monkeypatch.setattr(relay_module, "PRUNE_RANGE", 3)  # walk several ranges of seqs
    ids = db.emit(10)
    week_ago = datetime.now(UTC) - timedelta(days=8)
    old_published, old_pending, recent_published = ids[:6], ids[6], ids[7:9]
    with db.engine.begin() as connection:
        connection.execute(
            update(outbox)
            .where(outbox.c.event_id.in_([*old_published, old_pending]))
            .values(created_at=week_ago)
        )
        connection.execute(
            update(outbox).where(outbox.c.event_id.in_(old_published)).values(published_at=week_ago)
        )
        connection.execute(
            update(outbox)
            .where(outbox.c.event_id.in_(recent_published))
            .values(published_at=datetime.now(UTC))
        )
    relay = OutboxRelay(db.engine, "amqp://unused", app_id="platform-test")

    pruned = relay.prune_published()

    assert pruned == 6
    with db.engine.connect() as connection:
        left = set(connection.execute(select(outbox.c.event_id)).scalars())
    assert left == set(ids) - set(old_published)  # the pending and the recent rows stay
    assert relay.prune_published() == 0
