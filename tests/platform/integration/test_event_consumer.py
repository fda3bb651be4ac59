"""The consumer applies each event once, and a poison message ends in the dead-letter queue
without holding up the events behind it; `crm dlq` lists it and moves it back."""

from __future__ import annotations

import uuid

import pytest
from crm_platform import amqp, cli, metrics
from crm_platform.consumer import EventConsumer
from crm_platform.events import to_cloudevent
from crm_platform.testing.processes import wait_until
from google.protobuf.wrappers_pb2 import StringValue

pytestmark = pytest.mark.integration

EVENT_TYPE = "google.protobuf.StringValue"
CONSUMER = "probe"
SOURCE = "/crm/platform-test"


def outcomes(outcome: str) -> float:
    return metrics.CONSUMER_MESSAGES.labels(CONSUMER, EVENT_TYPE, outcome)._value.get()


def cloudevent(subject: str, event_id: str | None = None) -> tuple[str, bytes]:
    envelope = to_cloudevent(
        StringValue(value=subject), source=SOURCE, subject=subject, event_id=event_id
    )
    return envelope.id, envelope.SerializeToString()


def test_redelivered_event_is_applied_once(db, broker, start_role):
    subscription = amqp.Subscription(CONSUMER, ("#",))
    applied: list[str] = []
    consumer = EventConsumer(
        broker.url, subscription, {EVENT_TYPE: db.note_taker(applied)}, db.unit_of_work
    )
    start_role(consumer.run)
    wait_until(lambda: broker.exists(subscription.queue), timeout=10, what="the queue")
    handled, duplicates = outcomes("handled"), outcomes("duplicate")

    twice_id, twice = cloudevent("twice")
    once_id, once = cloudevent("once")
    broker.publish(EVENT_TYPE, twice, message_id=twice_id)
    broker.publish(EVENT_TYPE, once, message_id=once_id)
    broker.publish(EVENT_TYPE, twice, message_id=twice_id)

    wait_until(
        lambda: outcomes("handled") - handled == 2 and outcomes("duplicate") - duplicates == 1,
        timeout=15,
        what="three deliveries settled",
    )
    assert sorted(applied) == sorted([twice_id, once_id])
    assert db.count("notes") == 2
    assert db.count("inbox", f"WHERE event_id = '{twice_id}'") == 1
    assert db.count("inbox") == 2


def test_poison_message_is_dead_lettered_then_replayed(db, broker, start_role, capsys):
    subscription = amqp.Subscription(CONSUMER, ("#",), delivery_limit=2)
    repaired = False
    take_note = db.note_taker()

    def fragile(uow, event):
        if event.subject == "poison" and not repaired:
            raise ValueError("this handler cannot apply poison yet")
        take_note(uow, event)

    start_role(EventConsumer(broker.url, subscription, {EVENT_TYPE: fragile}, db.unit_of_work).run)
    wait_until(lambda: broker.exists(subscription.queue), timeout=10, what="the queue")

    poison_id, poison = cloudevent("poison")
    garbage_id = str(uuid.uuid4())
    broker.publish(EVENT_TYPE, poison, message_id=poison_id, type=EVENT_TYPE)
    broker.publish(EVENT_TYPE, b"\x00not a cloudevent\xff", message_id=garbage_id)
    good = [cloudevent(f"good-{n}") for n in range(20)]
    for event_id, body in good:
        broker.publish(EVENT_TYPE, body, message_id=event_id, type=EVENT_TYPE)

    wait_until(lambda: db.count("notes") == 20, timeout=20, what="the good events applied")
    dlq = subscription.dead_letter_queue
    wait_until(lambda: broker.count(dlq) == 2, timeout=20, what="two dead letters")
    assert db.count("inbox", f"WHERE event_id = '{poison_id}'") == 0

    assert cli.main(["dlq", "list", CONSUMER, "--amqp-url", broker.url]) == 0
    listing = capsys.readouterr().out
    poison_line = next(line for line in listing.splitlines() if poison_id in line)
    assert EVENT_TYPE in poison_line
    assert "poison" in poison_line
    assert "delivery_limit" in poison_line
    garbage_line = next(line for line in listing.splitlines() if garbage_id in line)
    assert "rejected" in garbage_line
    # listing takes nothing away (the broker puts them back a moment after the listing ends)
    wait_until(lambda: broker.count(dlq) == 2, timeout=10, what="the dead letters back")

    repaired = True
    code = cli.main(["dlq", "replay", CONSUMER, "--event-id", poison_id, "--amqp-url", broker.url])
    assert code == 0
    assert f"replayed {poison_id}" in capsys.readouterr().out
    wait_until(lambda: db.count("notes") == 21, timeout=15, what="the replayed event applied")
    assert db.count("inbox", f"WHERE event_id = '{poison_id}'") == 1
    wait_until(lambda: broker.count(dlq) == 1, timeout=10, what="the undecodable one to stay")

    code = cli.main(["dlq", "replay", CONSUMER, "--event-id", "nope", "--amqp-url", broker.url])
    assert code == 1
    assert "no dead letter with event id nope" in capsys.readouterr().err
