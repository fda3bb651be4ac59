"""The event consumer: idempotent handling of events from a service's quorum queue.

Each event is handled in one transaction that also writes its inbox row (consumer, event id):
a redelivered event finds the row and is acked without being applied again. The ack is sent
only after that commit. pika's BlockingConnection is not thread-safe, so the handler runs on a
worker thread and the ack goes back through add_callback_threadsafe, while the I/O thread keeps
heartbeats flowing. A failing event is returned to the queue; after the queue's delivery limit
the broker dead-letters it to <service>.events.dlq. An undecodable one goes there at once.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pika
from pika.adapters.blocking_connection import BlockingChannel
from pika.exceptions import AMQPError
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from crm_platform import amqp, context, metrics
from crm_platform.backoff import Backoff
from crm_platform.events import Event, UndecodableEvent, decode
from crm_platform.tables import inbox
from crm_platform.uow import UnitOfWork

log = logging.getLogger(__name__)

Handler = Callable[[UnitOfWork, Event], None]


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

    @property
    def name(self) -> str:
        return self.subscription.consumer

    def run(self, stop: threading.Event) -> None:
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

            def on_message(
                ch: BlockingChannel,
                method: Any,
                properties: pika.BasicProperties,
                body: bytes,
            ) -> None:
                worker.submit(self._process, connection, ch, method.delivery_tag, properties, body)

            tag = channel.basic_consume(self.subscription.queue, on_message, auto_ack=False)
            log.info("consumer %s: consuming %s", self.name, self.subscription.queue)
            backoff.reset()
            while not stop.is_set():
                connection.process_data_events(time_limit=0.5)
            # Drain: take nothing new, finish what is in hand, send its acks.
            channel.basic_cancel(tag)
            worker.shutdown(wait=True)
            connection.process_data_events(time_limit=0)
        finally:
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
    ) -> None:
        headers = properties.headers or {}
        token = context.correlation_id.set(headers.get("correlation_id") or properties.message_id)
        try:
            self._handle(connection, channel, delivery_tag, headers, body)
        finally:
            context.correlation_id.reset(token)

    def _handle(
        self,
        connection: pika.BlockingConnection,
        channel: BlockingChannel,
        delivery_tag: int,
        headers: dict[str, Any],
        body: bytes,
    ) -> None:
        def reply(settle: Callable[[], None]) -> None:
            try:
                connection.add_callback_threadsafe(settle)
            except AMQPError:
                pass  # connection gone: the broker redelivers, the inbox makes that harmless

        try:
            event = decode(body)
        except UndecodableEvent as exc:
            metrics.CONSUMER_MESSAGES.labels(self.name, "unknown", "dead_lettered").inc()
            log.error("consumer %s: poison message dead-lettered: %s", self.name, exc)
            reply(functools.partial(_settle, channel, delivery_tag, ack=False, requeue=False))
            return
        try:
            fresh = apply_once(self.uow_factory, self.name, self.handlers.get(event.type), event)
        except Exception:
            returns = int(headers.get("x-delivery-count", 0))
            outcome = "dead_lettered" if returns >= self.subscription.delivery_limit else "failed"
            metrics.CONSUMER_MESSAGES.labels(self.name, event.type, outcome).inc()
            log.exception(
                "consumer %s: %s %s failed (%s)", self.name, event.type, event.id, outcome
            )
            reply(functools.partial(_settle, channel, delivery_tag, ack=False, requeue=True))
            return
        outcome = "handled" if fresh else "duplicate"
        metrics.CONSUMER_MESSAGES.labels(self.name, event.type, outcome).inc()
        metrics.CONSUMER_LAG.labels(self.name).set(
            max(0.0, (datetime.now(UTC) - event.time).total_seconds())
        )
        reply(functools.partial(_settle, channel, delivery_tag, ack=True, requeue=False))


def _settle(channel: BlockingChannel, delivery_tag: int, *, ack: bool, requeue: bool) -> None:
    if not channel.is_open:
        return  # the broker redelivers it; the inbox makes that harmless
    if ack:
        channel.basic_ack(delivery_tag)
    else:
        channel.basic_nack(delivery_tag, requeue=requeue)
