"""The event consumer: idempotent handling of events from a service's quorum queue.

Each event is handled in one transaction that also writes its inbox row (consumer, event id):
a redelivered event finds the row and is acked without being applied again. The ack is sent
only after that commit. pika's BlockingConnection is not thread-safe, so the handler runs on a
worker thread and the ack goes back through add_callback_threadsafe, while the I/O thread keeps
heartbeats flowing. A failing event is returned to the queue; after the queue's delivery limit
the broker dead-letters it to <service>.events.dlq. An undecodable one goes there at once. While
the database is unreachable the event in hand waits and is retried, so an outage does not
dead-letter good events.
"""

from __future__ import annotations

import contextlib
import enum
import functools
import logging
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar, cast

import pika
from google.protobuf.message import Message
from pika.adapters.blocking_connection import BlockingChannel
from pika.exceptions import AMQPError
from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from crm_platform import amqp, context, metrics
from crm_platform.backoff import Backoff
from crm_platform.db import database_unavailable
from crm_platform.events import Event, UndecodableEvent, decode, event_type, load_event_types
from crm_platform.tables import inbox
from crm_platform.uow import UnitOfWork

log = logging.getLogger(__name__)

Handler = Callable[[UnitOfWork, Event], None]
EventMessage = TypeVar("EventMessage", bound=Message)
Unit = TypeVar("Unit")
EVERY_EVENT = "crm.#"  # the routing-key pattern of every product event


class EventHandlers(Generic[Unit]):
    """A consuming service's one table: event type -> handler. Its queue's bindings, and so
    the broker's definitions, are made from it, never listed beside it.

        HANDLERS = EventHandlers[ReadModelUnit]("analytics", every_event=True)
        HANDLERS.on(events_pb2.CustomerRegistered, customer_registered)

    `every_event`: the queue is bound to every event (`crm.#`), and the events without a
    handler are recorded in the inbox and acked; otherwise it is bound to the handled types.
    """

    def __init__(
        self,
        consumer: str,
        *,
        every_event: bool = False,
        delivery_limit: int = amqp.DEFAULT_DELIVERY_LIMIT,
    ) -> None:
        self.consumer = consumer
        self.every_event = every_event
        self.delivery_limit = delivery_limit
        self._handlers: dict[str, Handler] = {}

    def on(
        self,
        message_type: type[EventMessage],
        handle: Callable[[Unit, EventMessage, Event], None],
    ) -> None:
        """Handle the events whose payload is a `message_type`: `handle(uow, message, event)`."""
        name = event_type(message_type())
        if name in self._handlers:
            raise ValueError(f"{self.consumer}: {name} already has a handler")

        def handler(uow: UnitOfWork, event: Event) -> None:
            if not isinstance(event.message, message_type):
                raise TypeError(f"{event.type} {event.id}: expected a {message_type.__name__}")
            handle(cast(Unit, uow), event.message, event)

        self._handlers[name] = handler

    @property
    def handlers(self) -> Mapping[str, Handler]:
        return dict(self._handlers)

    @property
    def subscription(self) -> amqp.Subscription:
        patterns = (EVERY_EVENT,) if self.every_event else tuple(sorted(self._handlers))
        return amqp.Subscription(self.consumer, patterns, self.delivery_limit)


def remember(session: Session, consumer: str, event: Event) -> bool:
    """Record the event in the inbox; False when this consumer has already applied it."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(inbox)
        .values(
            consumer=consumer,
            event_id=event.id,
            event_type=event.type,
            received_at=datetime.now(UTC),
        )
        .on_conflict_do_nothing()
        .returning(inbox.c.event_id)
    )
    return session.execute(statement).first() is not None


def forget_applied(session: Session, consumer: str) -> None:
    """Empty `consumer`'s inbox, so that a replay applies every event again."""
    session.execute(delete(inbox).where(inbox.c.consumer == consumer))


def apply_once(
    uow_factory: Callable[[], UnitOfWork], consumer: str, handler: Handler | None, event: Event
) -> bool:
    """Apply `event` with `handler` unless already applied; True when applied now."""
    with uow_factory() as uow:
        fresh = remember(uow.session, consumer, event)
        if fresh and handler is not None:
            handler(uow, event)
        uow.commit()
    return fresh


class Settlement(enum.Enum):
    """What the consumer tells the broker about a delivery."""

    ACK = "ack"  # applied (or applied before): done
    RETURN = "return"  # failed: back to the queue; counts toward the delivery limit
    DEAD_LETTER = "dead_letter"  # unreadable: straight to the dead-letter queue


class ConsumerCancelled(ConnectionError):
    """The broker cancelled the subscription (queue deleted, node shutting down)."""


class EventConsumer:
    def __init__(
        self,
        amqp_url: str,
        subscription: amqp.Subscription,
        handlers: Mapping[str, Handler],
        uow_factory: Callable[[], UnitOfWork],
        *,
        prefetch: int = 50,
    ) -> None:
        self.amqp_url = amqp_url
        self.subscription = subscription
        self.handlers = dict(handlers)
        self.uow_factory = uow_factory
        self.prefetch = prefetch
        self.link = amqp.BrokerLink()

    @property
    def name(self) -> str:
        return self.subscription.consumer

    def run(self, stop: threading.Event) -> None:
        load_event_types()
        backoff = Backoff()
        while not stop.is_set():
            try:
                self._consume(stop, backoff)
            except (AMQPError, OSError) as exc:
                delay = backoff.next_delay()
                log.warning(
                    "consumer %s: broker connection lost (%s); reconnecting in %.1fs",
                    self.name, str(exc).strip() or type(exc).__name__, delay,
                )  # fmt: skip
                stop.wait(delay)

    def _consume(self, stop: threading.Event, backoff: Backoff) -> None:
        connection = amqp.connect(self.amqp_url)
        worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"{self.name}-handler")
        try:
            channel = connection.channel()
            amqp.declare_subscription(channel, self.subscription)
            channel.basic_qos(prefetch_count=self.prefetch)
            cancelled = threading.Event()
            channel.add_on_cancel_callback(lambda _frame: cancelled.set())

            def on_message(
                ch: BlockingChannel,
                method: Any,
                properties: pika.BasicProperties,
                body: bytes,
            ) -> None:
                worker.submit(
                    self._process, connection, ch, method.delivery_tag, properties, body, stop
                )

            tag = channel.basic_consume(self.subscription.queue, on_message, auto_ack=False)
            log.info("consumer %s: consuming %s", self.name, self.subscription.queue)
            self.link.up()
            backoff.reset()
            while not stop.is_set():
                connection.process_data_events(time_limit=0.5)
                if cancelled.is_set():
                    raise ConsumerCancelled(f"the broker cancelled {self.subscription.queue}")
            # Drain: take nothing new, finish the deliveries in hand (each return would count
            # toward their delivery limit), send their acks. With the database down they give
            # up at once, since stop is set.
            channel.basic_cancel(tag)
            worker.shutdown(wait=True)
            connection.process_data_events(time_limit=0)
        finally:
            self.link.down()
            # Unacked deliveries return to the queue when the connection closes.
            worker.shutdown(wait=False, cancel_futures=True)
            if connection.is_open:
                with contextlib.suppress(AMQPError):
                    connection.close()

    def _process(
        self,
        connection: pika.BlockingConnection,
        channel: BlockingChannel,
        delivery_tag: int,
        properties: pika.BasicProperties,
        body: bytes,
        stop: threading.Event,
    ) -> None:
        """On the worker thread: handle one delivery, then settle it on the I/O thread."""
        headers = properties.headers or {}
        token = context.correlation_id.set(headers.get("correlation_id") or properties.message_id)
        try:
            settlement = self._handle(headers, body, stop)
        except Exception:
            # Whatever went wrong, settle the delivery: an unsettled one would hold a prefetch
            # slot until the connection closes.
            log.exception("consumer %s: unexpected failure", self.name)
            settlement = Settlement.RETURN
        finally:
            context.correlation_id.reset(token)
        if settlement is None:
            return  # stopping: the delivery goes back to the queue with the connection
        with contextlib.suppress(AMQPError):
            # Connection gone: the broker redelivers, and the inbox makes that harmless.
            connection.add_callback_threadsafe(
                functools.partial(_settle, channel, delivery_tag, settlement)
            )

    def _handle(
        self, headers: Mapping[str, Any], body: bytes, stop: threading.Event
    ) -> Settlement | None:
        try:
            event = decode(body)
        except UndecodableEvent as exc:
            metrics.CONSUMER_MESSAGES.labels(self.name, "unknown", "dead_lettered").inc()
            log.error("consumer %s: poison message dead-lettered: %s", self.name, exc)
            return Settlement.DEAD_LETTER
        handler = self.handlers.get(event.type)
        backoff = Backoff(maximum=5.0)
        while True:
            try:
                fresh = apply_once(self.uow_factory, self.name, handler, event)
                break
            except Exception as exc:
                if database_unavailable(exc) and not stop.is_set():
                    # Not the event's fault: wait for the database with the event in hand,
                    # instead of burning its deliveries and dead-lettering good events.
                    delay = backoff.next_delay()
                    log.warning(
                        "consumer %s: database unavailable (%s); retrying %s in %.1fs",
                        self.name, str(exc).splitlines()[0][:200], event.id, delay,
                    )  # fmt: skip
                    stop.wait(delay)
                    continue
                if stop.is_set():
                    return None
                # x-delivery-count: earlier returns of this message. The broker dead-letters
                # it when it comes back with more returns than the delivery limit.
                returns = int(headers.get("x-delivery-count", 0))
                last = returns >= self.subscription.delivery_limit
                outcome = "dead_lettered" if last else "failed"
                metrics.CONSUMER_MESSAGES.labels(self.name, event.type, outcome).inc()
                log.exception(
                    "consumer %s: %s %s failed (%s)", self.name, event.type, event.id, outcome
                )
                return Settlement.RETURN
        outcome = "handled" if fresh else "duplicate"
        metrics.CONSUMER_MESSAGES.labels(self.name, event.type, outcome).inc()
        metrics.CONSUMER_LAG.labels(self.name).set(
            max(0.0, (datetime.now(UTC) - event.time).total_seconds())
        )
        return Settlement.ACK


def _settle(channel: BlockingChannel, delivery_tag: int, settlement: Settlement) -> None:
    if not channel.is_open:
        return  # the broker redelivers it; the inbox makes that harmless
    if settlement is Settlement.ACK:
        channel.basic_ack(delivery_tag)
    else:
        channel.basic_nack(delivery_tag, requeue=settlement is Settlement.RETURN)
