"""Losing the database in mid-stream dead-letters nothing and loses nothing: the consumer waits
with the event in hand, the relay retries, and every event is applied exactly once."""

from __future__ import annotations

import pytest
from crm_platform import amqp
from crm_platform.consumer import EventConsumer
from crm_platform.db import build_engine, session_factory
from crm_platform.relay import OutboxRelay
from crm_platform.testing.processes import wait_until
from crm_platform.testing.proxy import FaultProxy
from crm_platform.uow import UnitOfWork

pytestmark = pytest.mark.integration

EVENTS = 300


@pytest.fixture
def database_proxy(postgres_url):
    with FaultProxy.for_url(postgres_url) as proxy:
        yield proxy


@pytest.fixture
def proxied_engine(postgres_url, database_proxy, db):  # db: the schema is migrated first
    engine = build_engine(database_proxy.rewrite(postgres_url), pool_size=4)
    yield engine
    engine.dispose()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_database_outage_dead_letters_nothing(
    db, broker, database_proxy, proxied_engine, start_role
):
    sessions = session_factory(proxied_engine)
    subscription = amqp.Subscription("probe", ("#",), delivery_limit=1)
    consumer = EventConsumer(
        broker.url,
        subscription,
        {"google.protobuf.StringValue": db.note_taker()},
        lambda: UnitOfWork(sessions, "/crm/platform-test"),
    )
    start_role(consumer.run)
    wait_until(lambda: broker.exists(subscription.queue), timeout=10, what="the queue")
    event_ids = db.emit(EVENTS)
    # The database goes away while the relay and the consumer are both at work.
    database_proxy.cut_after(150_000, refuse_for=1.5)
    start_role(OutboxRelay(proxied_engine, broker.url, app_id="platform-test").run)

    wait_until(lambda: db.count("inbox") == EVENTS, timeout=60, what="every event applied")
    assert not database_proxy.armed, "the database connections were never cut"
    # A batch confirmed by the broker while its marking was cut is published again once the
    # database is back (the consumer has applied it already and skips the copies).
    wait_until(
        lambda: db.count("outbox", "WHERE published_at IS NULL") == 0,
        timeout=30,
        what="every row marked published",
    )
    assert db.count("notes") == EVENTS
    with db.engine.connect() as connection:
        assert {row.event_id for row in connection.execute(db.notes.select())} == set(event_ids)
    assert broker.count(subscription.dead_letter_queue) == 0
