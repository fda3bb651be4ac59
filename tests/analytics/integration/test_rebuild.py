"""`crm-analytics rebuild`: replay crm.events.log into a fresh read model, same numbers."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from crm_analytics.bootstrap import SERVICE
from crm_analytics.domain.segments import DemographicSegments
from crm_analytics.entrypoints import cli
from crm_analytics.entrypoints.grpc_api import segments_message
from crm_analytics.service_layer import views
from crm_platform import db
from crm_platform.service import unit_of_work_factory
from crm_proto.crm.customer.v1 import customer_pb2, events_pb2

from tests.analytics.integration.harness import (
    EventPublisher,
    RunningAnalytics,
    counts,
)
from tests.analytics.snapshots import T0, customer

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """The command configures logging for a process; give the other tests theirs back."""
    root, pika_logger = logging.getLogger(), logging.getLogger("pika")
    handlers, level, pika_level = root.handlers[:], root.level, pika_logger.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    pika_logger.setLevel(pika_level)


def read_segments(database_url: str) -> DemographicSegments:
    engine = db.build_engine(database_url)
    try:
        return views.demographic_segments(
            unit_of_work_factory(SERVICE.unit_of_work, engine, SERVICE.name),
            datetime.now(UTC).date(),
        )
    finally:
        engine.dispose()


def publish_history(publisher: EventPublisher) -> int:
    """Registrations, updates out of order, a duplicate, a blacklisting and a merge."""
    ids = [str(uuid.uuid4()) for _ in range(6)]
    regions = ["North", "North", "South", "East", "West", "South"]
    for index, (customer_id, region) in enumerate(zip(ids, regions, strict=True)):
        envelope = publisher.publish(
            events_pb2.CustomerRegistered(
                customer=customer(
                    customer_id,
                    1,
                    region=region,
                    birth_date=date(1950 + 10 * index, 5, 17).isoformat(),
                    gender=customer_pb2.GENDER_MALE if index % 2 else customer_pb2.GENDER_FEMALE,
                ),
                version=1,
            ),
            subject=customer_id,
            time=T0 + timedelta(seconds=index),
        )
        if index == 0:
            publisher.publish_envelope(envelope)  # a duplicate in the log
    publisher.publish(
        events_pb2.CustomerUpdated(customer=customer(ids[1], 3, region="East"), version=3),
        subject=ids[1],
        time=T0 + timedelta(minutes=2),
    )
    publisher.publish(
        events_pb2.CustomerUpdated(customer=customer(ids[1], 2, region="West"), version=2),
        subject=ids[1],
        time=T0 + timedelta(minutes=1),
    )
    publisher.publish(
        events_pb2.CustomerBlacklisted(customer_id=ids[2], version=2),
        subject=ids[2],
        time=T0 + timedelta(minutes=3),
    )
    publisher.publish(
        events_pb2.CustomerMerged(
            survivor=customer(ids[3], 2, region="East"),
            merged_id=ids[4],
            version=2,
            merged_version=2,
        ),
        subject=ids[3],
        time=T0 + timedelta(minutes=4),
    )
    return 5  # counted customers: six registered, one merged away


def test_rebuild_replays_the_log_into_a_fresh_database(
    publisher: EventPublisher,
    analytics: RunningAnalytics,
    fresh_database_url: str,
    amqp_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    counted = publish_history(publisher)
    live = analytics.wait_for(
        lambda s: s.total_customers == counted and s.merged_customers == 1,
        "the history applied by the live consumer",
    )
    assert counts(live.by_region) == {"North": 1, "East": 2, "South": 2}
    assert live.blacklisted_customers == 1
    monkeypatch.setenv("CRM_AMQP_URL", amqp_url)
    monkeypatch.setenv("CRM_ANALYTICS_DATABASE_URL", fresh_database_url)

    for _ in range(2):  # the second run starts from a filled read model and empties it first
        assert cli.main(["rebuild", "--idle", "1"]) == 0
        summary = capsys.readouterr().out
        assert "11 events read, 10 applied, skipped 1 duplicate and 0 undecodable" in summary
        assert segments_message(read_segments(fresh_database_url)) == analytics.segments()


def test_rebuild_reports_an_unreachable_broker(
    fresh_database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CRM_AMQP_URL", "amqp://guest:guest@127.0.0.1:1/")

    code = cli.main(["rebuild", "--database-url", fresh_database_url, "--idle", "0.2"])

    assert code == 1
    assert "cannot read crm.events.log from RabbitMQ" in capsys.readouterr().err
