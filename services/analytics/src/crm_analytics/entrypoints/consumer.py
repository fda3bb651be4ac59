"""Event -> handler: the analytics consumer's one table, from which its queue's bindings come.

Analytics records every event (bound to `crm.#`); those without a handler here are recorded in
the inbox and acked. Each handler turns the event into the read model's terms and hands it to
the service layer.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime

from crm_platform import enums
from crm_platform.consumer import EventHandlers
from crm_platform.events import Event
from crm_proto.crm.customer.v1 import customer_pb2, events_pb2

from crm_analytics.config import SERVICE_NAME
from crm_analytics.domain.customer_facts import UNKNOWN, CustomerSnapshot
from crm_analytics.service_layer import handlers
from crm_analytics.service_layer.ports import ReadModelUnit

log = logging.getLogger(__name__)

HANDLERS = EventHandlers[ReadModelUnit](SERVICE_NAME, every_event=True)


def _registered(uow: ReadModelUnit, message: events_pb2.CustomerRegistered, event: Event) -> None:
    handlers.apply_snapshot(
        uow, snapshot_of(message.customer, event.time), message.version, event.time
    )


def _updated(uow: ReadModelUnit, message: events_pb2.CustomerUpdated, event: Event) -> None:
    handlers.apply_snapshot(
        uow, snapshot_of(message.customer, event.time), message.version, event.time
    )


def _merged(uow: ReadModelUnit, message: events_pb2.CustomerMerged, event: Event) -> None:
    handlers.record_merge(
        uow,
        snapshot_of(message.survivor, event.time),
        message.version,
        merged_id=message.merged_id,
        merged_version=message.merged_version,
        occurred_at=event.time,
    )


def _blacklisted(uow: ReadModelUnit, message: events_pb2.CustomerBlacklisted, event: Event) -> None:
    handlers.set_blacklisted(uow, message.customer_id, True, message.version, event.time)


def _unblacklisted(
    uow: ReadModelUnit, message: events_pb2.CustomerUnblacklisted, event: Event
) -> None:
    handlers.set_blacklisted(uow, message.customer_id, False, message.version, event.time)


HANDLERS.on(events_pb2.CustomerRegistered, _registered)
HANDLERS.on(events_pb2.CustomerUpdated, _updated)
HANDLERS.on(events_pb2.CustomerMerged, _merged)
HANDLERS.on(events_pb2.CustomerBlacklisted, _blacklisted)
HANDLERS.on(events_pb2.CustomerUnblacklisted, _unblacklisted)


def snapshot_of(customer: customer_pb2.Customer, occurred_at: datetime) -> CustomerSnapshot:
    """The customer record in the read model's terms: enum names as lowercase segment keys."""
    return CustomerSnapshot(
        customer_id=customer.id,
        region=customer.region.strip() or None,
        city=customer.city.strip() or None,
        gender=_segment(enums.key(customer_pb2.Gender.DESCRIPTOR, customer.gender)),
        birth_date=_birth_date(customer),
        acquisition_source=_segment(
            enums.key(customer_pb2.AcquisitionSource.DESCRIPTOR, customer.acquisition_source)
        ),
        blacklisted=customer.blacklisted,
        merged_into=customer.merged_into_id or None,
        registered_at=(
            customer.created_at.ToDatetime(tzinfo=UTC)
            if customer.HasField("created_at")
            else occurred_at
        ),
    )


def _segment(key: str | None) -> str:
    """An enum's key as the read model's segment key: female, sales_rep, ... or unknown (not
    given, or a value newer than this consumer)."""
    return UNKNOWN if key is None else key


def _birth_date(customer: customer_pb2.Customer) -> date | None:
    if not customer.birth_date:
        return None
    try:
        return date.fromisoformat(customer.birth_date)
    except ValueError:
        # The customer service validates birth dates; an unreadable one counts as unknown.
        log.warning("customer %s: unreadable birth date %r", customer.id, customer.birth_date)
        return None
