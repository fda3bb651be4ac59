"""`crm-analytics rebuild`: rebuild the read model by replaying the event log from the start."""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass

from crm_platform import amqp, db, migrations
from crm_platform.consumer import apply_once
from crm_platform.events import UndecodableEvent, decode, load_event_types
from crm_platform.settings import ServiceSettings
from pika.exceptions import AMQPError

from crm_analytics.adapters.unit_of_work import AnalyticsUnitOfWork
from crm_analytics.bootstrap import unit_of_work_factory
from crm_analytics.config import MIGRATIONS_DIR, SERVICE_NAME
from crm_analytics.entrypoints.consumer import HANDLERS, SUBSCRIPTION

log = logging.getLogger(__name__)

DESCRIPTION = f"""\
Replay the event log (the RabbitMQ stream {amqp.EVENT_LOG_STREAM}) from its first event into a
fresh analytics read model: migrate the database, empty the read model and the consumer's
inbox, apply every event with the live consumer's handlers (each event once), and stop when
no event has arrived for --idle seconds. Stop the live consumer (crm-analytics consumer, or
the whole service) before rebuilding the database it writes to; the events it missed wait in
its queue, and those already replayed are skipped when it starts again.
"""
REPLAY_PREFETCH = 500


@dataclass
class ReplaySummary:
    read: int = 0
    applied: int = 0
    duplicates: int = 0
    undecodable: int = 0


def rebuild_command(settings: ServiceSettings, argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog=f"crm-{SERVICE_NAME} rebuild", description=DESCRIPTION)
    parser.add_argument(
        "--database-url",
        default=settings.database_url,
        help="the database to rebuild (default: the service's, CRM_ANALYTICS_DATABASE_URL)",
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
    migrations.upgrade(MIGRATIONS_DIR, args.database_url)
    engine = db.build_engine(args.database_url)
    try:
        summary = rebuild(unit_of_work_factory(engine), settings.amqp_url, idle=args.idle)
    except (AMQPError, OSError) as exc:
        reason = str(exc).strip() or type(exc).__name__
        print(
            f"crm-{SERVICE_NAME} rebuild: cannot read {amqp.EVENT_LOG_STREAM} from RabbitMQ at "
            f"{amqp.redact(settings.amqp_url)} ({reason[:200]}); the read model is incomplete, "
            "run the rebuild again",
            file=sys.stderr,
        )
        return 1
    finally:
        engine.dispose()
    print(
        f"rebuilt the analytics read model from {amqp.EVENT_LOG_STREAM}: {summary.read} events "
        f"read, {summary.applied} applied, skipped {summary.duplicates} duplicate and "
        f"{summary.undecodable} undecodable"
    )
    return 0


def rebuild(
    uow_factory: Callable[[], AnalyticsUnitOfWork], amqp_url: str, *, idle: float
) -> ReplaySummary:
    load_event_types()
    with uow_factory() as uow:
        uow.reset_read_model(SUBSCRIPTION.consumer)
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
                handler = HANDLERS.get(event.type)
                if apply_once(uow_factory, SUBSCRIPTION.consumer, handler, event):
                    summary.applied += 1
                else:
                    summary.duplicates += 1
            channel.basic_ack(method.delivery_tag)
        channel.cancel()
    finally:
        with contextlib.suppress(AMQPError):
            connection.close()
    return summary
