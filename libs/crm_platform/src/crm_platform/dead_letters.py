"""Dead letters: read a service's dead-letter queue without losing anything, and replay events.

Reading takes each message without acknowledging it and returns it afterwards, so listing is
safe while the service runs. Replaying publishes a message back to `<service>.events` through
the default exchange with publisher confirms and `mandatory`, and acknowledges the dead letter
only after the broker has confirmed the copy: a failure in between leaves a duplicate (which the
consumer's inbox absorbs), never a loss.
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pika
from crm_proto.io.cloudevents.v1 import cloudevents_pb2
from google.protobuf.message import DecodeError
from pika.adapters.blocking_connection import BlockingChannel
from pika.exceptions import AMQPError

from crm_platform import amqp

# Set by the broker on each delivery; a replayed event starts counting its deliveries afresh.
DELIVERY_COUNT_HEADER = "x-delivery-count"


class DeadLetterQueueMissing(LookupError):
    pass


@dataclass(frozen=True)
class DeadLetter:
    event_id: str
    event_type: str
    subject: str
    reason: str  # why it first died: delivery_limit, rejected, expired, maxlen
    deaths: int  # how many times it has been dead-lettered, all queues and reasons together
    died_at: datetime | None


@dataclass(frozen=True)
class _Delivery:
    delivery_tag: int
    properties: pika.BasicProperties
    body: bytes
    letter: DeadLetter


def list_dead_letters(amqp_url: str, service: str) -> list[DeadLetter]:
    with _dead_letter_channel(amqp_url, service) as (channel, queue):
        return [delivery.letter for delivery in _take_all(channel, queue)]


def replay(
    amqp_url: str, service: str, event_ids: Collection[str] | None = None
) -> list[DeadLetter]:
    """Move dead letters back to `<service>.events`: those with the given event ids, or all
    when `event_ids` is None. Returns the ones moved."""
    target = amqp.queue_name(service)
    moved: list[DeadLetter] = []
    with _dead_letter_channel(amqp_url, service) as (channel, queue):
        channel.confirm_delivery()
        for delivery in _take_all(channel, queue):
            if event_ids is not None and delivery.letter.event_id not in event_ids:
                continue
            headers = {
                k: v
                for k, v in (delivery.properties.headers or {}).items()
                if k != DELIVERY_COUNT_HEADER
            }
            delivery.properties.headers = headers
            # Blocks until the broker confirms; raises if it refuses or nothing is bound.
            channel.basic_publish(
                "", target, delivery.body, properties=delivery.properties, mandatory=True
            )
            channel.basic_ack(delivery.delivery_tag)
            moved.append(delivery.letter)
    return moved


@contextlib.contextmanager
def _dead_letter_channel(amqp_url: str, service: str) -> Iterator[tuple[BlockingChannel, str]]:
    queue = amqp.dead_letter_queue_name(service)
    connection = amqp.connect(amqp_url)
    try:
        channel = connection.channel()
        try:
            channel.queue_declare(queue, passive=True)
        except pika.exceptions.ChannelClosedByBroker as exc:
            if exc.reply_code == 404:
                raise DeadLetterQueueMissing(queue) from None
            raise
        yield channel, queue
        # Return every message taken and not acknowledged (closing would too, but later).
        channel.basic_nack(delivery_tag=0, multiple=True, requeue=True)
    finally:
        with contextlib.suppress(AMQPError):
            connection.close()


def _take_all(channel: BlockingChannel, queue: str) -> Iterator[_Delivery]:
    """Each message in the queue once: taken messages stay unacknowledged, so they are not
    handed out again until returned, and the queue runs dry."""
    while True:
        method, properties, body = channel.basic_get(queue, auto_ack=False)
        if method is None:
            return
        yield _Delivery(method.delivery_tag, properties, body, _describe(properties, body))


def _describe(properties: pika.BasicProperties, body: bytes) -> DeadLetter:
    envelope = cloudevents_pb2.CloudEvent()
    with contextlib.suppress(DecodeError):
        envelope.ParseFromString(body)
    subject = envelope.attributes["subject"].ce_string if "subject" in envelope.attributes else ""
    headers: dict[str, Any] = properties.headers or {}
    deaths: list[dict[str, Any]] = [d for d in headers.get("x-death") or [] if isinstance(d, dict)]
    # x-death lists the most recent death first.
    first = deaths[-1] if deaths else {}
    reason = headers.get("x-first-death-reason") or first.get("reason") or "unknown"
    return DeadLetter(
        event_id=properties.message_id or envelope.id or "?",
        event_type=properties.type or envelope.type or "?",
        subject=subject or "?",
        reason=_text(reason),
        deaths=sum(int(d.get("count", 1)) for d in deaths) or 1,
        died_at=_utc(first.get("time")),
    )


def _text(value: Any) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def _utc(value: Any) -> datetime | None:
    # pika decodes AMQP timestamps as naive UTC datetimes.
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value
    return None
