"""`crm-<service> rebuild`: rebuild a consuming service's read model by replaying the event log
(the RabbitMQ stream crm.events.log) from its first event, with the live consumer's handlers."""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pika.exceptions import AMQPError
from sqlalchemy import Engine

from crm_platform import amqp, db, migrations
from crm_platform.consumer import EventHandlers, apply_once, forget_applied
from crm_platform.events import UndecodableEvent, decode, load_event_types
from crm_platform.settings import ServiceSettings
from crm_platform.uow import UnitOfWork

log = logging.getLogger(__name__)

U = TypeVar("U", bound=UnitOfWork)
REPLAY_PREFETCH = 500


@dataclass
class ReplaySummary:
    read: int = 0
    applied: int = 0
    duplicates: int = 0
    undecodable: int = 0


def _description(service: str) -> str:
    return f"""\
Replay the event log (the RabbitMQ stream {amqp.EVENT_LOG_STREAM}) from its first event into a
fresh {service} read model: migrate the database, empty the read model and the consumer's
inbox, apply every event with the live consumer's handlers (each event once), and stop when
no event has arrived for --idle seconds. Stop the live consumer (crm-{service} consumer, or
the whole service) before rebuilding the database it writes to; the events it missed wait in
its queue, and those already replayed are skipped when it starts again.
"""


def rebuild_command(
    settings: ServiceSettings,
    argv: list[str],
    *,
    migrations_dir: Path,
    unit_of_work: Callable[[Engine], Callable[[], U]],
    handlers: EventHandlers[Any],
    clear_read_model: Callable[[U], None],
) -> int:
    service = settings.service
    variable = f"CRM_{service.upper()}_DATABASE_URL"
    parser = argparse.ArgumentParser(
        prog=f"crm-{service} rebuild", description=_description(service)
    )
    parser.add_argument(
        "--database-url",
        default=settings.database_url,
        help=f"the database to rebuild (default: the service's, {variable})",
    )
    parser.add_argument(
        "--idle",
        type=float,
        default=2.0,
        help="seconds without a new event after which the log counts as replayed (default 2)",
    )
    args = parser.parse_args(argv)
    log.info(
        "rebuilding the read model in %s; the live consumer must not be running against it",
        args.database_url.rsplit("@", 1)[-1],  # without the credentials
    )
    migrations.upgrade(migrations_dir, args.database_url)
    engine = db.build_engine(args.database_url)
    try:
        summary = rebuild(
            unit_of_work(engine), handlers, clear_read_model, settings.amqp_url, idle=args.idle
        )
    except (AMQPError, OSError) as exc:
        reason = str(exc).strip() or type(exc).__name__
        print(
            f"crm-{service} rebuild: cannot read {amqp.EVENT_LOG_STREAM} from RabbitMQ at "
            f"{amqp.redact(settings.amqp_url)} ({reason[:200]}); the read model is incomplete, "
            "run the rebuild again",
            file=sys.stderr,
        )
        return 1
    finally:
        engine.dispose()
    print(
        f"rebuilt the {service} read model from {amqp.EVENT_LOG_STREAM}: {summary.read} events "
        f"read, {summary.applied} applied, skipped {summary.duplicates} duplicate and "
        f"{summary.undecodable} undecodable"
    )
    return 0


def rebuild(
    uow_factory: Callable[[], U],
    handlers: EventHandlers[Any],
    clear_read_model: Callable[[U], None],
    amqp_url: str,
    *,
    idle: float,
) -> ReplaySummary:
    load_event_types()
    consumer, table = handlers.consumer, handlers.handlers
    with uow_factory() as uow:
        clear_read_model(uow)
        forget_applied(uow.session, consumer)
        uow.commit()
    summary = ReplaySummary()
    connection = amqp.connect(amqp_url)
    try:
        channel = connection.channel()
        amqp.declare_exchanges(channel)
        channel.basic_qos(prefetch_count=REPLAY_PREFETCH)  # a stream consumer must set one
        deliveries = channel.consume(
            amqp.EVENT_LOG_STREAM,
            auto_ack=False,
            arguments={"x-stream-offset": "first"},
            inactivity_timeout=idle,
        )
        for method, properties, body in deliveries:
            if method is None:
                break  # nothing for `idle` seconds: the log is replayed
            summary.read += 1
            try:
                event = decode(body)
            except UndecodableEvent as exc:
                summary.undecodable += 1
                offset = (properties.headers or {}).get("x-stream-offset")
                log.warning("rebuild: undecodable event at offset %s skipped: %s", offset, exc)
            else:
                if apply_once(uow_factory, consumer, table.get(event.type), event):
                    summary.applied += 1
                else:
                    summary.duplicates += 1
            channel.basic_ack(method.delivery_tag)
        channel.cancel()
    finally:
        with contextlib.suppress(AMQPError):
            connection.close()
    return summary
