"""The outbox relay: publishes committed outbox rows to RabbitMQ, at least once.

A row is marked published only after the broker confirms it (publisher confirms, mandatory;
a batch is published at once and its confirms awaited together);
an unroutable or nacked row stays pending and is retried with backoff, never dropped. On
PostgreSQL rows are claimed with FOR UPDATE SKIP LOCKED (any number of relays) and the relay
wakes on LISTEN/NOTIFY; on SQLite one relay polls.

Published rows are kept `retention` (default 7 days, for inspection; the broker's event log
stream is the history) and then deleted while the relay is idle, oldest first, in short
transactions over ranges of the primary key, so the table stays the size of a week's events.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pika
import psycopg
from pika.exceptions import AMQPError
from sqlalchemy import Connection, Engine, Select, delete, func, or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from crm_platform import amqp, metrics
from crm_platform.backoff import Backoff, retry_delay
from crm_platform.db import is_sqlite
from crm_platform.events import CONTENT_TYPE
from crm_platform.tables import outbox
from crm_platform.uow import OUTBOX_CHANNEL

log = logging.getLogger(__name__)

DEFAULT_RETENTION = timedelta(days=7)
DEFAULT_BATCH_SIZE = 200  # rows per claim, published as one window of confirms
STOP_CHECK_SECONDS = 0.1  # how soon an idle relay on PostgreSQL sees its stop
PRUNE_INTERVAL = 60.0  # seconds between prunes of published rows
PRUNE_RANGE = 10_000  # seqs per delete (one short transaction each)
PRUNE_MAX_RANGES = 100  # per prune: at most a million rows, the rest the next time
# Set by the fault-injection tests only: once the broker has confirmed a batch, the relay stops
# for good before marking it, so the test kills it in exactly that state.
HALT_BEFORE_MARKING = "CRM_RELAY_HALT_BEFORE_MARKING"


@dataclass
class _Outcome:
    """What became of a batch: confirmed rows, rows the broker refused, a lost connection."""

    published: list[int] = field(default_factory=list)
    refused: list[tuple[Any, str]] = field(default_factory=list)
    lost: AMQPError | None = None


class OutboxRelay:
    def __init__(
        self,
        engine: Engine,
        amqp_url: str,
        *,
        app_id: str,
        batch_size: int = DEFAULT_BATCH_SIZE,
        poll_interval: float = 0.1,
        listen_timeout: float = 1.0,
        retention: timedelta = DEFAULT_RETENTION,
    ) -> None:
        self.engine = engine
        self.amqp_url = amqp_url
        self.app_id = app_id
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.listen_timeout = listen_timeout
        self.retention = retention
        self._connection: pika.BlockingConnection | None = None
        self._window: amqp.ConfirmWindow | None = None
        self._listener: psycopg.Connection[Any] | None = None
        self._backlog_checked = 0.0
        self._pruned_at = 0.0
        self._halt_before_marking = os.environ.get(HALT_BEFORE_MARKING) == "1"
        self.link = amqp.BrokerLink()

    def run(self, stop: threading.Event) -> None:
        backoff = Backoff()
        while not stop.is_set():
            try:
                claimed = self.publish_pending()
                backoff.reset()
                if claimed < self.batch_size:
                    self._record_backlog()
                    self._prune_when_due()
                    self._wait_for_work(stop)
            except (AMQPError, OSError, SQLAlchemyError, psycopg.Error) as exc:
                delay = backoff.next_delay()
                log.warning(
                    "outbox relay: %s; retrying in %.1fs", _describe(exc), delay,
                    extra={"error": type(exc).__name__},
                )  # fmt: skip
                self._close_broker()
                self._close_listener()
                stop.wait(delay)
        self._close_broker()
        self._close_listener()

    def publish_pending(self) -> int:
        """Publish one batch of due rows; returns how many rows were claimed."""
        window = self._ensure_window()
        if is_sqlite(self.engine):
            # One relay per SQLite database, so nothing to claim: read, publish, then record in
            # short transactions, never holding SQLite's single write lock while the broker
            # confirms (writers would wait, and fail after the busy timeout).
            with self.engine.begin() as connection:
                rows = connection.execute(self._due_rows()).all()
            outcome = self._publish(window, rows)
            with self.engine.begin() as connection:
                self._record(connection, outcome)
        else:
            # The row locks are the claim: other relays skip these rows until this commits.
            with self.engine.begin() as connection:
                rows = connection.execute(self._due_rows().with_for_update(skip_locked=True)).all()
                outcome = self._publish(window, rows)
                self._record(connection, outcome)
        if outcome.lost is not None:
            raise outcome.lost
        return len(rows)

    def _due_rows(self) -> Select[Any]:
        now = datetime.now(UTC)
        return (
            select(
                outbox.c.seq,
                outbox.c.event_id,
                outbox.c.event_type,
                outbox.c.payload,
                outbox.c.correlation_id,
                outbox.c.created_at,
                outbox.c.attempts,
            )
            .where(outbox.c.published_at.is_(None))
            .where(or_(outbox.c.next_attempt_at.is_(None), outbox.c.next_attempt_at <= now))
            .order_by(outbox.c.seq)
            .limit(self.batch_size)
        )

    def _publish(self, window: amqp.ConfirmWindow, rows: Sequence[Any]) -> _Outcome:
        """The whole batch at once, its confirms awaited together (a window of the batch)."""
        outcome = _Outcome()
        if not rows:
            return outcome
        answers = window.publish(
            [amqp.Publication(row.event_type, row.payload, self._properties(row)) for row in rows]
        )
        confirmed = set(answers.confirmed)
        now = datetime.now(UTC)
        for row in rows:
            if row.event_id in confirmed:
                outcome.published.append(row.seq)
                metrics.OUTBOX_PUBLISH_LATENCY.observe(
                    max(0.0, (now - row.created_at).total_seconds())
                )
            elif (reason := answers.refused.get(row.event_id)) is not None:
                metrics.OUTBOX_FAILURES.labels(reason).inc()
                outcome.refused.append((row, reason))
                log.warning("outbox relay: event %s %s; kept for retry", row.event_id, reason)
        if answers.lost is not None:
            metrics.OUTBOX_FAILURES.labels("connection").inc()
            outcome.lost = answers.lost  # keep what was confirmed, then reconnect
        return outcome

    def _record(self, connection: Connection, outcome: _Outcome) -> None:
        if outcome.published and self._halt_before_marking:
            log.warning("outbox relay: %s is set; halted before marking", HALT_BEFORE_MARKING)
            threading.Event().wait()  # until the test kills the process
        now = datetime.now(UTC)
        for row, reason in outcome.refused:
            connection.execute(
                update(outbox)
                .where(outbox.c.seq == row.seq)
                .values(
                    attempts=row.attempts + 1,
                    next_attempt_at=now + timedelta(seconds=retry_delay(row.attempts + 1)),
                    last_error=f"{reason} by the broker",
                )
            )
        if outcome.published:
            connection.execute(
                update(outbox)
                .where(outbox.c.seq.in_(outcome.published))
                .values(published_at=now, last_error=None)
            )
            metrics.OUTBOX_PUBLISHED.inc(len(outcome.published))

    def _properties(self, row: Any) -> pika.BasicProperties:
        return pika.BasicProperties(
            content_type=CONTENT_TYPE,
            delivery_mode=pika.DeliveryMode.Persistent,
            message_id=row.event_id,
            type=row.event_type,
            timestamp=int(row.created_at.timestamp()),
            app_id=self.app_id,
            headers={"correlation_id": row.correlation_id} if row.correlation_id else None,
        )

    def _ensure_window(self) -> amqp.ConfirmWindow:
        if self._window is None or not self._window.channel.is_open:
            self._close_broker()
            self._connection = amqp.connect(self.amqp_url)
            window = amqp.ConfirmWindow(self._connection)
            amqp.declare_exchanges(window.channel)
            self._window = window
            self.link.up()
            log.info("outbox relay: connected to %s", amqp.redact(self.amqp_url))
        return self._window

    def _wait_for_work(self, stop: threading.Event) -> None:
        # pika answers heartbeats only while it is called: keep calling it while idle, or the
        # broker drops a quiet relay's connection.
        if self.engine.dialect.name != "postgresql":
            if self._connection is not None and self._connection.is_open:
                self._connection.process_data_events(time_limit=self.poll_interval)
            else:
                stop.wait(self.poll_interval)
            return
        listener = self._ensure_listener()
        # Until the first notification, or the timeout (retries fall due then); in slices, so
        # that a stop is seen within one (waiting on the socket costs no query).
        deadline = time.monotonic() + self.listen_timeout
        while not stop.is_set() and (left := deadline - time.monotonic()) > 0:
            slice_ = min(left, STOP_CHECK_SECONDS)
            if any(True for _ in listener.notifies(timeout=slice_, stop_after=1)):
                break
        if self._connection is not None:
            self._connection.process_data_events(time_limit=0)

    def _ensure_listener(self) -> psycopg.Connection[Any]:
        if self._listener is None or self._listener.closed:
            url = self.engine.url.set(drivername="postgresql")
            self._listener = psycopg.connect(
                url.render_as_string(hide_password=False), autocommit=True, connect_timeout=5
            )
            self._listener.execute(f"LISTEN {OUTBOX_CHANNEL}")
        return self._listener

    def _record_backlog(self) -> None:
        now = time.monotonic()
        if now - self._backlog_checked < 1.0:
            return
        self._backlog_checked = now
        with self.engine.connect() as connection:
            backlog = connection.execute(
                select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
            ).scalar_one()
        metrics.OUTBOX_BACKLOG.set(backlog)

    def _prune_when_due(self) -> None:
        now = time.monotonic()
        if now - self._pruned_at < PRUNE_INTERVAL:
            return
        self._pruned_at = now
        pruned = self.prune_published()
        if pruned:
            log.info("outbox relay: deleted %d rows published before the retention", pruned)

    def prune_published(self) -> int:
        """Delete the rows published more than `retention` ago; returns how many. Walks the
        primary key from the oldest row in ranges and stops at the first range holding a row
        younger than the retention (rows are created in seq order)."""
        cutoff = datetime.now(UTC) - self.retention
        with self.engine.connect() as connection:
            bounds = connection.execute(select(func.min(outbox.c.seq), func.max(outbox.c.seq)))
            low, top = bounds.one()
        pruned = 0
        for _ in range(PRUNE_MAX_RANGES):
            if low is None or low > top:
                break
            in_range = outbox.c.seq.between(low, low + PRUNE_RANGE - 1)
            with self.engine.begin() as connection:
                result = connection.execute(
                    delete(outbox)
                    .where(in_range)
                    .where(outbox.c.published_at.is_not(None))
                    .where(outbox.c.published_at < cutoff)
                )
                pruned += result.rowcount
                younger = connection.execute(
                    select(func.count()).where(in_range).where(outbox.c.created_at >= cutoff)
                ).scalar_one()
            if younger:
                break
            low += PRUNE_RANGE
        metrics.OUTBOX_PRUNED.inc(pruned)
        return pruned

    def _close_broker(self) -> None:
        self.link.down()
        connection, self._connection, self._window = self._connection, None, None
        if connection is not None and connection.is_open:
            with contextlib.suppress(AMQPError):  # already gone
                connection.close()

    def _close_listener(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()


def _describe(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:300]
