"""Fixtures for the chassis integration tests: a migrated throwaway schema on the test database,
a broker helper for assertions, and roles (relay, consumer) running in threads."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pika
import pytest
import sqlalchemy as sa
from crm_platform import amqp, migrations
from crm_platform.consumer import Handler
from crm_platform.db import build_engine, session_factory
from crm_platform.events import Event
from crm_platform.tables import outbox
from crm_platform.uow import UnitOfWork
from google.protobuf.wrappers_pb2 import StringValue
from pika.adapters.blocking_connection import BlockingChannel
from pika.exceptions import ChannelClosedByBroker
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"
SOURCE = "/crm/platform-test"

test_metadata = sa.MetaData()
notes = sa.Table(
    "notes",
    test_metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("event_id", sa.String(36)),
    sa.Column("subject", sa.String(200)),
)

Role = Callable[[threading.Event], None]


class Database:
    """The test's view of its migrated database."""

    notes = notes

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessions = session_factory(engine)

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(self.sessions, SOURCE)

    def count(self, table: str, where: str = "") -> int:
        with self.engine.connect() as connection:
            query = f"SELECT count(*) FROM {table} {where}"  # noqa: S608 - test constants
            return int(connection.execute(sa.text(query)).scalar_one())

    @staticmethod
    def outbox_row(event_id: str) -> sa.Select[Any]:
        return sa.select(outbox).where(outbox.c.event_id == event_id)

    def emit(self, count: int, *, per_transaction: int = 50) -> list[str]:
        """Commit `count` events (StringValue payloads), a few transactions at a time."""
        ids: list[str] = []
        for start in range(0, count, per_transaction):
            with self.unit_of_work() as uow:
                for n in range(start, min(count, start + per_transaction)):
                    ids.append(uow.emit(StringValue(value=str(n)), subject=f"subject-{n}"))
                uow.commit()
        return ids

    @staticmethod
    def note_taker(applied: list[str] | None = None) -> Handler:
        """A handler that writes a note in the event's transaction."""

        def handle(uow: UnitOfWork, event: Event) -> None:
            uow.session.execute(notes.insert().values(event_id=event.id, subject=event.subject))
            if applied is not None:
                applied.append(event.id)

        return handle


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    migrations.upgrade(MIGRATIONS, database_url)
    engine = build_engine(database_url, pool_size=4)
    yield Database(engine)
    engine.dispose()


class Broker:
    """The test's own view of its virtual host, used from the test thread only."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.connection = amqp.connect(url)
        self._channel: BlockingChannel | None = None

    @property
    def channel(self) -> BlockingChannel:
        if self._channel is None or not self._channel.is_open:
            self._channel = self.connection.channel()
        return self._channel

    def tap(self, name: str = "tap", pattern: str = "#") -> str:
        """A queue that receives a copy of every event published to crm.events."""
        amqp.declare_exchanges(self.channel)
        self.channel.queue_declare(name, durable=True)
        self.channel.queue_bind(name, amqp.EXCHANGE, routing_key=pattern)
        return name

    def count(self, queue: str) -> int:
        """Messages ready in `queue`; -1 when it does not exist."""
        try:
            return int(self.channel.queue_declare(queue, passive=True).method.message_count)
        except ChannelClosedByBroker:
            return -1

    def exists(self, queue: str) -> bool:
        return self.count(queue) >= 0

    def take_all(self, queue: str) -> list[tuple[pika.BasicProperties, bytes]]:
        taken = []
        while True:
            method, properties, body = self.channel.basic_get(queue, auto_ack=True)
            if method is None:
                return taken
            taken.append((properties, body))

    def publish(self, routing_key: str, body: bytes, *, message_id: str, **fields: Any) -> None:
        self.channel.basic_publish(
            amqp.EXCHANGE,
            routing_key,
            body,
            properties=pika.BasicProperties(message_id=message_id, **fields),
        )

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.connection.close()


@pytest.fixture
def broker(amqp_url: str) -> Iterator[Broker]:
    broker = Broker(amqp_url)
    yield broker
    broker.close()


@pytest.fixture
def start_role() -> Iterator[Callable[[Role], threading.Event]]:
    """Start a role (relay, consumer, server) in a thread; it is stopped and joined after the
    test, and the test fails if it does not stop."""
    started: list[tuple[threading.Event, threading.Thread]] = []

    def start(role: Role) -> threading.Event:
        stop = threading.Event()
        thread = threading.Thread(target=role, args=(stop,), daemon=True)
        thread.start()
        started.append((stop, thread))
        return stop

    yield start
    for stop, _thread in started:
        stop.set()
    for _stop, thread in started:
        thread.join(timeout=20)
    assert not any(thread.is_alive() for _stop, thread in started), "a role did not stop"
