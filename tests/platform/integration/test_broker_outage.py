"""Losing the broker connection in mid-stream loses nothing: the relay republishes what was not
confirmed, the consumer gets back what it had not acknowledged, and the inbox absorbs the
duplicates, so every event is applied exactly once."""

from __future__ import annotations

import pytest
from crm_platform import amqp
from crm_platform.consumer import EventConsumer
from crm_platform.relay import OutboxRelay
from crm_platform.testing.processes import wait_until
from crm_platform.testing.proxy import FaultProxy

pytestmark = pytest.mark.integration

EVENTS = 500
EVENT_TYPE = "google.protobuf.StringValue"


@pytest.fixture
def proxy(amqp_url):
    with FaultProxy.for_url(amqp_url) as proxy:
        yield proxy


def assert_each_event_applied_once(db, event_ids):
    wait_until(
        lambda: db.count("outbox", "WHERE published_at IS NULL") == 0,
        timeout=60,
        what="every event published",
    )
    wait_until(lambda: db.count("inbox") == EVENTS, timeout=60, what="every event applied")
    assert db.count("notes") == EVENTS
    with db.engine.connect() as connection:
        applied = {row.event_id for row in connection.execute(db.notes.select())}
    assert applied == set(event_ids)


def test_relay_loses_nothing_when_its_connection_drops(db, broker, proxy, start_role):
    subscription = amqp.Subscription("probe", ("#",))
    consumer = EventConsumer(
        broker.url, subscription, {EVENT_TYPE: db.note_taker()}, db.unit_of_work
    )
    start_role(consumer.run)
    wait_until(lambda: broker.exists(subscription.queue), timeout=10, what="the queue")
    event_ids = db.emit(EVENTS)
    # Each publish is a few hundred bytes: this cuts well inside the first batch.
    proxy.cut_after(30_000, refuse_for=0.5)

    relay = OutboxRelay(db.engine, proxy.rewrite(broker.url), app_id="platform-test")
    start_role(relay.run)

    assert_each_event_applied_once(db, event_ids)
    assert not proxy.armed, "the connection was never cut"
    assert proxy.connections_accepted >= 2, "the relay did not reconnect"


def test_consumer_loses_nothing_when_its_connection_drops(db, broker, proxy, start_role):
    subscription = amqp.Subscription("probe", ("#",))
    consumer = EventConsumer(
        proxy.rewrite(broker.url), subscription, {EVENT_TYPE: db.note_taker()}, db.unit_of_work
    )
    start_role(consumer.run)
    wait_until(lambda: broker.exists(subscription.queue), timeout=10, what="the queue")
    event_ids = db.emit(EVENTS)
    # Deliveries flow while handlers commit and acks travel back: cut in the middle of it.
    proxy.cut_after(60_000, refuse_for=0.5)
    start_role(OutboxRelay(db.engine, broker.url, app_id="platform-test").run)

    assert_each_event_applied_once(db, event_ids)
    assert not proxy.armed, "the connection was never cut"
    assert proxy.connections_accepted >= 2, "the consumer did not reconnect"
