"""RabbitMQ: connections and the topology every service shares (ARCHITECTURE.md, section 4).

crm.events (topic)  --#-->            crm.events.log (stream: the replayable history)
                    --<patterns>-->   <service>.events (quorum, x-delivery-limit)
crm.events.dlx (direct) --<service>.events.dlq--> <service>.events.dlq
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import pika
from pika.adapters.blocking_connection import BlockingChannel
from pika.exceptions import AMQPConnectionError, AMQPError

EXCHANGE = "crm.events"
DEAD_LETTER_EXCHANGE = "crm.events.dlx"
EVENT_LOG_STREAM = "crm.events.log"
EVENT_LOG_MAX_BYTES = 10 * 1024**3
EVENT_LOG_MAX_AGE = "30D"
DEFAULT_DELIVERY_LIMIT = 5


def connection_parameters(url: str, *, heartbeat: int = 30) -> pika.URLParameters:
    parameters = pika.URLParameters(url)
    parameters.heartbeat = heartbeat
    parameters.blocked_connection_timeout = 30
    parameters.socket_timeout = 5
    parameters.connection_attempts = 1
    return parameters


def connect(url: str) -> pika.BlockingConnection:
    """Open a connection; every failure to do so raises an AMQPConnectionError."""
    try:
        return pika.BlockingConnection(connection_parameters(url))
    except AMQPError:
        raise
    except Exception as exc:
        # pika lets some socket races escape as other errors (a ValueError when the peer resets
        # the connection before pika has looked at it): a failure to connect all the same, which
        # callers retry, instead of a crash of the relay or consumer thread.
        raise AMQPConnectionError(f"{type(exc).__name__}: {exc}") from exc


def redact(url: str) -> str:
    """The URL without its password, for messages."""
    return re.sub(r"(//[^:/@]+:)[^@]*@", r"\1***@", url)


def ping(url: str) -> None:
    """Raise when the broker does not answer an AMQP handshake."""
    connect(url).close()


class BrokerLink:
    """Whether a role's long-lived broker connection is up: readiness asks it instead of
    opening a connection of its own on every check."""

    def __init__(self) -> None:
        self._up = threading.Event()

    def up(self) -> None:
        self._up.set()

    def down(self) -> None:
        self._up.clear()

    def check(self) -> None:
        """The readiness check: raise while the connection is down."""
        if not self._up.is_set():
            raise ConnectionError("not connected to RabbitMQ")


def queue_name(consumer: str) -> str:
    return f"{consumer}.events"


def dead_letter_queue_name(consumer: str) -> str:
    return f"{consumer}.events.dlq"


def declare_exchanges(channel: BlockingChannel) -> None:
    """The exchanges and the event log stream; publishers and consumers both declare them."""
    channel.exchange_declare(EXCHANGE, exchange_type="topic", durable=True)
    channel.exchange_declare(DEAD_LETTER_EXCHANGE, exchange_type="direct", durable=True)
    channel.queue_declare(
        EVENT_LOG_STREAM,
        durable=True,
        arguments={
            "x-queue-type": "stream",
            "x-max-length-bytes": EVENT_LOG_MAX_BYTES,
            "x-max-age": EVENT_LOG_MAX_AGE,
        },
    )
    channel.queue_bind(EVENT_LOG_STREAM, EXCHANGE, routing_key="#")


@dataclass(frozen=True)
class Subscription:
    """A consuming service's queue and the event types (or patterns) bound to it."""

    consumer: str
    patterns: tuple[str, ...]
    delivery_limit: int = DEFAULT_DELIVERY_LIMIT

    @property
    def queue(self) -> str:
        return queue_name(self.consumer)

    @property
    def dead_letter_queue(self) -> str:
        return dead_letter_queue_name(self.consumer)

    def queue_arguments(self) -> dict[str, Any]:
        return {
            "x-queue-type": "quorum",
            "x-delivery-limit": self.delivery_limit,
            "x-dead-letter-exchange": DEAD_LETTER_EXCHANGE,
            "x-dead-letter-routing-key": self.dead_letter_queue,
        }


def declare_subscription(channel: BlockingChannel, subscription: Subscription) -> None:
    declare_exchanges(channel)
    channel.queue_declare(
        subscription.dead_letter_queue, durable=True, arguments={"x-queue-type": "quorum"}
    )
    channel.queue_bind(
        subscription.dead_letter_queue,
        DEAD_LETTER_EXCHANGE,
        routing_key=subscription.dead_letter_queue,
    )
    channel.queue_declare(
        subscription.queue, durable=True, arguments=subscription.queue_arguments()
    )
    for pattern in subscription.patterns:
        channel.queue_bind(subscription.queue, EXCHANGE, routing_key=pattern)


@dataclass(frozen=True)
class Publication:
    """One message to publish to crm.events: `message_id` names it in the outcome."""

    routing_key: str
    body: bytes
    properties: pika.BasicProperties

    @property
    def message_id(self) -> str:
        return str(self.properties.message_id)


@dataclass
class Confirmations:
    """What the broker said of a window of publications, by message id: confirmed, or
    refused ("unroutable": returned by a mandatory publish; "nacked"); `lost` when the
    connection failed before every answer came (the unanswered ones count as neither)."""

    confirmed: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)
    lost: AMQPError | None = None


class ConfirmWindow:
    """Publishes a window of messages and waits for their confirms together.

    pika's BlockingChannel in confirm mode waits for each publish's confirm before the next,
    so a publisher pays one broker round trip (and fsync) per message. The channel underneath
    delivers acks, nacks and returns as they come; this class listens to those (the one place
    the project reaches below BlockingChannel), publishes the whole window, then waits until
    every delivery tag is answered. Returns arrive before the ack of the same message.
    """

    def __init__(self, connection: pika.BlockingConnection, *, timeout: float = 30.0) -> None:
        self.connection = connection
        self.timeout = timeout
        self.channel = connection.channel()
        self._impl = self.channel._impl  # the asynchronous channel underneath (see above)
        self._next_tag = 1
        self._pending: dict[int, str] = {}
        self._answers: Confirmations = Confirmations()
        self._returned: dict[str, str] = {}
        selected = threading.Event()

        def on_selected(_frame: Any) -> None:
            selected.set()
            self._wake()

        self._impl.confirm_delivery(ack_nack_callback=self._on_confirmation, callback=on_selected)
        self._impl.add_on_return_callback(self._on_return)
        self._wait_until(selected.is_set)

    def publish(self, publications: list[Publication], *, mandatory: bool = True) -> Confirmations:
        """Publish all, then wait for every confirm. A lost connection, or no answer within
        the timeout, ends the wait with `lost` set: the window is then done with, and the
        caller reconnects."""
        answers = self._answers = Confirmations()
        try:
            for publication in publications:
                self._pending[self._next_tag] = publication.message_id
                self._next_tag += 1
                self.channel.basic_publish(
                    EXCHANGE,
                    publication.routing_key,
                    publication.body,
                    properties=publication.properties,
                    mandatory=mandatory,
                )
            self._wait_until(lambda: not self._pending)
        except AMQPError as exc:
            self._pending.clear()
            answers.lost = exc
        return answers

    def _wait_until(self, done: Any) -> None:
        deadline = time.monotonic() + self.timeout
        while not done():
            left = deadline - time.monotonic()
            if left <= 0:
                raise AMQPError(f"the broker did not confirm within {self.timeout:.0f}s")
            self.connection.process_data_events(time_limit=min(left, 1.0))

    def _wake(self) -> None:
        """End the current `process_data_events` now. The callbacks of the channel underneath
        do not count as events for BlockingConnection, which would otherwise wait out its whole
        time limit after the last confirm; a callback it is handed does."""
        self.connection.add_callback_threadsafe(_nothing)

    def _on_return(self, _channel: Any, _method: Any, properties: Any, _body: bytes) -> None:
        self._returned[str(properties.message_id)] = "unroutable"

    def _on_confirmation(self, frame: Any) -> None:
        method = frame.method
        tags = (
            [tag for tag in self._pending if tag <= method.delivery_tag]
            if method.multiple
            else [method.delivery_tag]
        )
        nacked = isinstance(method, pika.spec.Basic.Nack)
        for tag in tags:
            message_id = self._pending.pop(tag, None)
            if message_id is None:
                continue
            reason = "nacked" if nacked else self._returned.pop(message_id, None)
            if reason is None:
                self._answers.confirmed.append(message_id)
            else:
                self._answers.refused[message_id] = reason
        if not self._pending:
            self._wake()


def _nothing() -> None:
    """The callback that wakes a waiting BlockingConnection (ConfirmWindow._wake)."""
