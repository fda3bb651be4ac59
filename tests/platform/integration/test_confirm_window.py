"""A window of publications is confirmed together, and each message's answer is its own: the
unroutable ones in the middle of a window are refused, every other one is confirmed and
delivered."""

from __future__ import annotations

import pika
import pytest
from crm_platform import amqp
from crm_platform.testing.processes import wait_until

pytestmark = pytest.mark.integration


def _publication(n: int, routing_key: str) -> amqp.Publication:
    return amqp.Publication(
        routing_key, f"message {n}".encode(), pika.BasicProperties(message_id=f"m-{n}")
    )


def test_a_window_answers_each_message_and_delivers_exactly_the_confirmed(broker):
    # Only the tap is bound (no event log stream): "lost.*" is unroutable.
    broker.channel.exchange_declare(amqp.EXCHANGE, exchange_type="topic", durable=True)
    tap = "tap"
    broker.channel.queue_declare(tap, durable=True)
    broker.channel.queue_bind(tap, amqp.EXCHANGE, routing_key="routable.#")
    connection = amqp.connect(broker.url)
    try:
        window = amqp.ConfirmWindow(connection)
        keys = {n: "lost.event" if n % 7 == 3 else "routable.event" for n in range(300)}
        first = window.publish([_publication(n, keys[n]) for n in range(200)])
        second = window.publish([_publication(n, keys[n]) for n in range(200, 300)])
    finally:
        connection.close()

    lost = {f"m-{n}" for n, key in keys.items() if key.startswith("lost")}
    for answers in (first, second):
        assert answers.lost is None
        assert set(answers.refused.values()) == {"unroutable"}
    assert set(first.refused) | set(second.refused) == lost
    confirmed = first.confirmed + second.confirmed
    assert len(confirmed) == len(set(confirmed)) == 300 - len(lost)
    assert set(confirmed).isdisjoint(lost)
    wait_until(lambda: broker.count(tap) == len(confirmed), timeout=10, what="the confirmed")
    assert {properties.message_id for properties, _ in broker.take_all(tap)} == set(confirmed)


def test_a_window_on_a_closed_connection_is_lost_and_confirms_nothing(broker):
    connection = amqp.connect(broker.url)
    window = amqp.ConfirmWindow(connection)
    connection.close()
    answers = window.publish([_publication(n, "routable.event") for n in range(3)])
    assert answers.lost is not None
    assert answers.confirmed == []
    assert answers.refused == {}
