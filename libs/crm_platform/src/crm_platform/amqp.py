"""RabbitMQ: connections and the topology every service shares (ARCHITECTURE.md, section 4).

crm.events (topic)  --#-->            crm.events.log (stream: the replayable history)
                    --<patterns>-->   <service>.events (quorum, x-delivery-limit)
crm.events.dlx (direct) --<service>.events.dlq--> <service>.events.dlq
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
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
