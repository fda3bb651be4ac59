"""Event handlers: customer events -> customer facts. The caller commits (with the inbox row)."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime

from crm_proto.crm.customer.v1 import customer_pb2, events_pb2

from crm_analytics.domain.customer_facts import UNKNOWN, CustomerFacts, CustomerSnapshot
from crm_analytics.service_layer.unit_of_work import ReadModelUnit

log = logging.getLogger(__name__)


def customer_registered(
    uow: ReadModelUnit, event: events_pb2.CustomerRegistered, occurred_at: datetime
) -> None:
    _apply_snapshot(uow, event.customer, event.version, occurred_at)


def customer_updated(
    uow: ReadModelUnit, event: events_pb2.CustomerUpdated, occurred_at: datetime
) -> None:
    _apply_snapshot(uow, event.customer, event.version, occurred_at)


def customer_merged(
    uow: ReadModelUnit, event: events_pb2.CustomerMerged, occurred_at: datetime
) -> None:
    _apply_snapshot(uow, event.survivor, event.version, occurred_at)
    merged = _facts(uow, event.merged_id)
    if merged.mark_merged(event.survivor.id, event.merged_version, occurred_at):
        uow.customers.save(merged)
    else:
        log.debug("stale merge of %s (version %d) ignored", event.merged_id, event.merged_version)


def customer_blacklisted(
    uow: ReadModelUnit, event: events_pb2.CustomerBlacklisted, occurred_at: datetime
) -> None:
    _set_blacklisted(uow, event.customer_id, True, event.version, occurred_at)


def customer_unblacklisted(
    uow: ReadModelUnit, event: events_pb2.CustomerUnblacklisted, occurred_at: datetime
) -> None:
    _set_blacklisted(uow, event.customer_id, False, event.version, occurred_at)


def _apply_snapshot(
    uow: ReadModelUnit, customer: customer_pb2.Customer, version: int, occurred_at: datetime
) -> None:
    facts = _facts(uow, customer.id)
    if facts.apply_snapshot(snapshot_of(customer, occurred_at), version, occurred_at):
        uow.customers.save(facts)
    else:
        log.debug("stale snapshot of %s (version %d) ignored", customer.id, version)


def _set_blacklisted(
    uow: ReadModelUnit, customer_id: str, blacklisted: bool, version: int, occurred_at: datetime
) -> None:
    facts = _facts(uow, customer_id)
    if facts.set_blacklisted(blacklisted, version, occurred_at):
        uow.customers.save(facts)
    else:
        log.debug("stale blacklist change of %s (version %d) ignored", customer_id, version)


def _facts(uow: ReadModelUnit, customer_id: str) -> CustomerFacts:
    return uow.customers.get(customer_id) or CustomerFacts(customer_id)


def snapshot_of(customer: customer_pb2.Customer, occurred_at: datetime) -> CustomerSnapshot:
    """The customer record in the read model's terms: enum names as lowercase segment keys."""
    return CustomerSnapshot(
        customer_id=customer.id,
        region=customer.region.strip() or None,
        city=customer.city.strip() or None,
        gender=_key(customer_pb2.Gender.Name(customer.gender), "GENDER_"),
        birth_date=_birth_date(customer),
        acquisition_source=_key(
            customer_pb2.AcquisitionSource.Name(customer.acquisition_source),
            "ACQUISITION_SOURCE_",
        ),
        blacklisted=customer.blacklisted,
        merged_into=customer.merged_into_id or None,
        registered_at=(
            customer.created_at.ToDatetime(tzinfo=UTC)
            if customer.HasField("created_at")
            else occurred_at
        ),
    )


def _key(enum_name: str, prefix: str) -> str:
    key = enum_name.removeprefix(prefix).lower()
    return UNKNOWN if key == "unspecified" else key


def _birth_date(customer: customer_pb2.Customer) -> date | None:
    if not customer.birth_date:
        return None
    try:
        return date.fromisoformat(customer.birth_date)
    except ValueError:
        # The customer service validates birth dates; an unreadable one counts as unknown.
        log.warning("customer %s: unreadable birth date %r", customer.id, customer.birth_date)
        return None
