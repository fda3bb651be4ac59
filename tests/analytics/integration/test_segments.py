"""The read model fed by real events through RabbitMQ, queried through the real gRPC server."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from crm_analytics.config import MIGRATIONS_DIR
from crm_analytics.entrypoints.consumer import HANDLERS
from crm_platform import db
from crm_platform.events import source_of
from crm_platform.migrations import upgrade
from crm_platform.relay import OutboxRelay
from crm_platform.tables import inbox
from crm_platform.testing.processes import wait_until
from crm_platform.uow import UnitOfWork
from crm_proto.crm.customer.v1 import customer_pb2, events_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc

from tests.analytics.integration.harness import (
    WAIT_SECONDS,
    EventPublisher,
    RunningAnalytics,
    counts,
)
from tests.analytics.snapshots import T0, customer

pytestmark = pytest.mark.integration


def register(
    publisher: EventPublisher, customer_id: str, *, at: datetime = T0, **fields: object
) -> None:
    publisher.publish(
        events_pb2.CustomerRegistered(customer=customer(customer_id, 1, **fields), version=1),
        subject=customer_id,
        time=at,
    )


def new_id() -> str:
    return str(uuid.uuid4())


def settle(publisher: EventPublisher, analytics: RunningAnalytics) -> None:
    """Publish a marker registration and wait for it: everything published before is applied
    (one queue, handled in order)."""
    marker = f"marker-{uuid.uuid4().hex[:8]}"
    register(publisher, new_id(), region=marker)
    analytics.wait_for(lambda s: marker in counts(s.by_region), f"marker {marker}")


def test_registrations_change_the_counts(
    publisher: EventPublisher, analytics: RunningAnalytics
) -> None:
    before = analytics.segments()
    assert before.total_customers == 0
    assert not before.HasField("as_of")

    register(publisher, new_id(), at=T0)
    register(publisher, new_id(), at=T0 + timedelta(seconds=1), region="South", birth_date="")
    register(
        publisher,
        new_id(),
        at=T0 + timedelta(seconds=2),
        gender=customer_pb2.GENDER_MALE,
        acquisition_source=customer_pb2.ACQUISITION_SOURCE_PARTNER,
    )

    result = analytics.wait_for(lambda s: s.total_customers == 3, "three customers counted")
    assert counts(result.by_region) == {"North": 2, "South": 1}
    assert counts(result.by_gender) == {"female": 2, "male": 1}
    assert counts(result.by_source) == {"web": 2, "partner": 1}
    ages = counts(result.by_age_band)
    assert list(ages) == ["under_18", "18_24", "25_34", "35_44", "45_54", "55_plus", "unknown"]
    assert ages["unknown"] == 1
    assert sum(ages.values()) == 3
    assert result.as_of.ToDatetime(tzinfo=UTC) == T0 + timedelta(seconds=2)


def test_the_api_reports_serving_when_database_and_broker_answer(
    analytics: RunningAnalytics,
) -> None:
    health = health_pb2_grpc.HealthStub(analytics.channel)

    def serving() -> bool:
        answer = health.Check(health_pb2.HealthCheckRequest(service=""), timeout=2)
        return bool(answer.status == health_pb2.HealthCheckResponse.SERVING)

    wait_until(serving, timeout=WAIT_SECONDS, what="health SERVING")


def test_the_same_event_delivered_twice_counts_once(
    publisher: EventPublisher, analytics: RunningAnalytics
) -> None:
    customer_id = new_id()
    registration = publisher.publish(
        events_pb2.CustomerRegistered(customer=customer(customer_id, 1), version=1),
        subject=customer_id,
    )
    publisher.publish_envelope(registration)
    consent = publisher.publish(
        events_pb2.ConsentChanged(
            customer_id=customer_id, channel=customer_pb2.CONSENT_CHANNEL_EMAIL, granted=True
        ),
        subject=customer_id,
    )

    settle(publisher, analytics)

    assert counts(analytics.segments().by_region)["North"] == 1
    engine = db.build_engine(analytics.app.settings.database_url)
    try:
        with engine.connect() as connection:
            applied = connection.execute(
                sa.select(inbox.c.event_id).where(inbox.c.consumer == HANDLERS.consumer)
            ).scalars()
            applied_ids = set(applied)
    finally:
        engine.dispose()
    # Recorded once; an event without a handler is recorded (and acked) too.
    assert {registration.id, consent.id} <= applied_ids


def test_stale_versions_arriving_late_are_ignored(
    publisher: EventPublisher, analytics: RunningAnalytics
) -> None:
    customer_id = new_id()
    publisher.publish(
        events_pb2.CustomerBlacklisted(customer_id=customer_id, version=3),
        subject=customer_id,
        time=T0 + timedelta(seconds=3),
    )
    publisher.publish(
        events_pb2.CustomerUpdated(
            customer=customer(customer_id, 2, region="South"), version=2, changed_fields=["region"]
        ),
        subject=customer_id,
        time=T0 + timedelta(seconds=2),
    )
    register(publisher, customer_id, at=T0)
    publisher.publish(
        events_pb2.CustomerUnblacklisted(customer_id=customer_id, version=1),
        subject=customer_id,
        time=T0,
    )

    settle(publisher, analytics)

    result = analytics.segments()
    assert counts(result.by_region).get("South") == 1
    assert "North" not in counts(result.by_region)
    assert result.blacklisted_customers == 1
    assert result.total_customers == 2  # this customer and the marker


def test_a_merge_does_not_double_count(
    publisher: EventPublisher, analytics: RunningAnalytics
) -> None:
    survivor, merged, merged_early = new_id(), new_id(), new_id()
    register(publisher, survivor)
    register(publisher, merged, region="South")
    analytics.wait_for(lambda s: s.total_customers == 2, "two customers counted")

    publisher.publish(
        events_pb2.CustomerMerged(
            survivor=customer(survivor, 2), merged_id=merged, version=2, merged_version=2
        ),
        subject=survivor,
    )
    result = analytics.wait_for(lambda s: s.merged_customers == 1, "the merge applied")
    assert result.total_customers == 1
    assert counts(result.by_region) == {"North": 1}

    # A merge that overtakes the merged customer's registration: the late registration
    # (a new event, an older version) must not bring the customer back.
    publisher.publish(
        events_pb2.CustomerMerged(
            survivor=customer(survivor, 3), merged_id=merged_early, version=3, merged_version=4
        ),
        subject=survivor,
    )
    register(publisher, merged_early, region="West")
    register(publisher, merged, region="South")  # its registration again, as a new event
    settle(publisher, analytics)

    result = analytics.segments()
    assert result.merged_customers == 2
    assert result.total_customers == 2  # the survivor and the marker
    assert "West" not in counts(result.by_region)
    assert "South" not in counts(result.by_region)


def test_events_written_through_an_outbox_reach_the_segments(
    analytics: RunningAnalytics, amqp_url: str, tmp_path: Path
) -> None:
    # A database with the chassis' outbox, standing in for the customer service's.
    publisher_url = f"sqlite:///{tmp_path / 'publisher.db'}"
    upgrade(MIGRATIONS_DIR, publisher_url)
    engine = db.build_engine(publisher_url)
    relay = OutboxRelay(engine, amqp_url, app_id="customer", poll_interval=0.05)
    stop = threading.Event()
    relay_thread = threading.Thread(target=relay.run, args=(stop,), daemon=True)
    relay_thread.start()
    try:
        with UnitOfWork(db.session_factory(engine), source_of("customer")) as uow:
            for _ in range(2):
                customer_id = new_id()
                uow.emit(
                    events_pb2.CustomerRegistered(
                        customer=customer(customer_id, 1, region="Outbox"), version=1
                    ),
                    subject=customer_id,
                )
            uow.commit()

        result = analytics.wait_for(
            lambda s: counts(s.by_region).get("Outbox") == 2, "the relayed registrations"
        )
        assert result.total_customers == 2
    finally:
        stop.set()
        relay_thread.join(timeout=10)
        engine.dispose()
