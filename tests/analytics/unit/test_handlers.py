"""Customer events through the consumer's table and the handlers, out of order and twice,
against an in-memory store."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

from crm_analytics.domain.segments import DemographicSegments
from crm_analytics.entrypoints.consumer import HANDLERS
from crm_analytics.service_layer import views
from crm_platform.events import Event, event_type, source_of
from crm_proto.crm.customer.v1 import customer_pb2, events_pb2
from google.protobuf.message import Message

from tests.analytics.snapshots import T0, customer
from tests.analytics.unit.fakes import FakeUnitOfWork

TODAY = date(2025, 6, 1)


def registered(
    customer_id: str, version: int = 1, **fields: object
) -> events_pb2.CustomerRegistered:
    return events_pb2.CustomerRegistered(
        customer=customer(customer_id, version, **fields), version=version
    )


def updated(customer_id: str, version: int, **fields: object) -> events_pb2.CustomerUpdated:
    return events_pb2.CustomerUpdated(
        customer=customer(customer_id, version, **fields), version=version
    )


def at(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


def segments(uow: FakeUnitOfWork) -> DemographicSegments:
    return views.demographic_segments(lambda: uow, TODAY)


def new_id() -> str:
    return str(uuid.uuid4())


def deliver(uow: FakeUnitOfWork, message: Message, time: datetime) -> None:
    """An event as the consumer hands it to the table's handler for its type."""
    event = Event(new_id(), event_type(message), source_of("customer"), "", time, message)
    HANDLERS.handlers[event.type](uow, event)  # type: ignore[arg-type]  # the fake unit


def test_registrations_are_counted_by_every_segment() -> None:
    uow = FakeUnitOfWork()
    deliver(uow, registered(new_id()), at(0))
    deliver(
        uow,
        registered(
            new_id(),
            region="",
            gender=customer_pb2.GENDER_UNSPECIFIED,
            birth_date="",
            acquisition_source=customer_pb2.ACQUISITION_SOURCE_SALES_REP,
        ),
        at(1),
    )

    result = segments(uow)

    assert result.total_customers == 2
    assert result.by_region == [("North", 1), ("unknown", 1)]
    assert result.by_gender == [("female", 1), ("unknown", 1)]
    assert dict(result.by_age_band)["35_44"] == 1
    assert dict(result.by_age_band)["unknown"] == 1
    assert result.by_source == [("sales_rep", 1), ("web", 1)]
    assert result.as_of == at(1)


def test_an_older_update_arriving_late_is_ignored() -> None:
    uow = FakeUnitOfWork()
    customer_id = new_id()
    deliver(uow, registered(customer_id), at(0))
    deliver(uow, updated(customer_id, 3, region="South"), at(3))

    deliver(uow, updated(customer_id, 2, region="West"), at(2))

    assert segments(uow).by_region == [("South", 1)]


def test_an_update_arriving_before_the_registration_wins() -> None:
    uow = FakeUnitOfWork()
    customer_id = new_id()
    deliver(uow, updated(customer_id, 2, region="South"), at(2))

    deliver(uow, registered(customer_id), at(0))

    result = segments(uow)
    assert result.total_customers == 1
    assert result.by_region == [("South", 1)]


def test_a_blacklisting_before_the_registration_is_kept_and_still_counted() -> None:
    uow = FakeUnitOfWork()
    customer_id = new_id()
    deliver(uow, events_pb2.CustomerBlacklisted(customer_id=customer_id, version=3), at(3))
    assert segments(uow).total_customers == 0  # not registered yet

    deliver(uow, registered(customer_id), at(0))

    result = segments(uow)
    assert (result.total_customers, result.blacklisted_customers) == (1, 1)
    assert result.by_region == [("North", 1)]


def test_unblacklisting_follows_the_versions() -> None:
    uow = FakeUnitOfWork()
    customer_id = new_id()
    deliver(uow, registered(customer_id), at(0))
    deliver(uow, events_pb2.CustomerUnblacklisted(customer_id=customer_id, version=3), at(3))

    deliver(uow, events_pb2.CustomerBlacklisted(customer_id=customer_id, version=2), at(2))

    assert segments(uow).blacklisted_customers == 0


def test_a_merge_counts_the_survivor_once_and_the_merged_apart() -> None:
    uow = FakeUnitOfWork()
    survivor, merged = new_id(), new_id()
    deliver(uow, registered(survivor), at(0))
    deliver(uow, registered(merged, region="South"), at(1))

    merge = events_pb2.CustomerMerged(
        survivor=customer(survivor, 2, city="Harbin"),
        merged_id=merged,
        version=2,
        merged_version=2,
    )
    deliver(uow, merge, at(2))
    deliver(uow, merge, at(2))  # delivered twice

    result = segments(uow)
    assert (result.total_customers, result.merged_customers) == (1, 1)
    assert result.by_region == [("North", 1)]


def test_a_merge_before_the_merged_registration_is_not_undone_by_it() -> None:
    uow = FakeUnitOfWork()
    survivor, merged = new_id(), new_id()
    deliver(
        uow,
        events_pb2.CustomerMerged(
            survivor=customer(survivor, 2), merged_id=merged, version=2, merged_version=2
        ),
        at(2),
    )

    deliver(uow, registered(merged, region="South"), at(0))
    deliver(uow, registered(survivor), at(0))

    result = segments(uow)
    assert (result.total_customers, result.merged_customers) == (1, 1)
    assert result.by_region == [("North", 1)]


def test_an_unreadable_birth_date_counts_as_unknown() -> None:
    uow = FakeUnitOfWork()
    deliver(uow, registered(new_id(), birth_date="1990-02-30"), at(0))

    assert dict(segments(uow).by_age_band)["unknown"] == 1
