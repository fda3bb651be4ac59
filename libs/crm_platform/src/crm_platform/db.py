"""Engines and sessions: PostgreSQL in production, SQLite (WAL, busy timeout) embedded."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Dialect, Engine, TypeDecorator, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker

from crm_platform import metrics

SQLITE_BUSY_TIMEOUT_MS = 10_000
# Connections kept open: the gRPC server's 16 workers, the relay or consumer, the readiness
# probe, with room to spare (they open on first use). Past it, up to as many again open and
# close per use: a new PostgreSQL connection costs a process fork, so the kept ones must cover
# the steady load.
DEFAULT_POOL_SIZE = 20


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every database (SQLite keeps no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: times are UTC and timezone-aware")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def normalize_url(url: str) -> str:
    """Use psycopg 3 for plain postgresql:// URLs."""
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.removeprefix("postgres://")
    return url


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def build_engine(url: str, *, pool_size: int = DEFAULT_POOL_SIZE) -> Engine:
    url = normalize_url(url)
    if url.startswith("sqlite"):
        engine = _sqlite_engine(url, pool_size)
    else:
        # No ping before each checkout (a round trip on every request): a connection found
        # dead fails its request as unavailable (retryable), and SQLAlchemy then discards the
        # whole pool; TCP keepalives find dead idle connections before a request does.
        engine = create_engine(
            url,
            pool_size=pool_size,
            max_overflow=pool_size,
            pool_timeout=5,
            pool_recycle=3600,
            connect_args={
                "connect_timeout": 5,
                "keepalives": 1,
                "keepalives_idle": 30,
                "keepalives_interval": 10,
                "keepalives_count": 3,
            },
        )
    _track_pool(engine, capacity=2 * pool_size)
    return engine


def _track_pool(engine: Engine, *, capacity: int) -> None:
    metrics.DB_POOL_SIZE.set(capacity)

    @event.listens_for(engine, "checkout")
    def _checked_out(*_args: Any) -> None:
        metrics.DB_POOL_CHECKED_OUT.inc()

    @event.listens_for(engine, "checkin")
    def _checked_in(*_args: Any) -> None:
        metrics.DB_POOL_CHECKED_OUT.dec()


def _sqlite_engine(url: str, pool_size: int) -> Engine:
    database = make_url(url).database
    in_memory = database in (None, "", ":memory:")
    if database and not in_memory:
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False},
        # an in-memory database lives in one connection: SQLAlchemy picks a pool that keeps it
        **({} if in_memory else {"pool_size": pool_size, "max_overflow": pool_size}),
    )

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, open transactions (see the "begin" hook below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        # Take the write lock up front: a deferred transaction that later writes fails with
        # "database is locked" instead of waiting out the busy timeout.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def ping(engine: Engine) -> None:
    """Raise when the database does not answer."""
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))


SQLITE_TRANSIENT = ("locked", "busy", "unable to open", "disk i/o")


def database_unavailable(error: BaseException) -> bool:
    """True for failures that say the database cannot serve now (connection lost or refused,
    pool exhausted, locked, deadlock or serialization failure): worth retrying later."""
    if isinstance(error, PoolTimeout):
        return True
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    if not isinstance(error, OperationalError):
        return False
    if type(error.orig).__module__ == "sqlite3":
        # SQLite reports a missing table as an OperationalError too: that is not transient.
        message = str(error.orig).lower()
        return any(marker in message for marker in SQLITE_TRANSIENT)
    return True
