"""Event handlers: facts about customers -> the read model, then the customers' segment
memberships checked again. Free of protobuf: the consumer's table (entrypoints/consumer.py)
hands them the read model's values. The caller commits (with the inbox row)."""

from __future__ import annotations

import logging
from datetime import datetime

from crm_analytics.domain.customer_facts import CustomerFacts, CustomerSnapshot
from crm_analytics.service_layer.memberships import Cause, refresh_customers
from crm_analytics.service_layer.ports import ReadModelUnit

log = logging.getLogger(__name__)


def apply_snapshot(
    uow: ReadModelUnit,
    snapshot: CustomerSnapshot,
    version: int,
    occurred_at: datetime,
    cause: Cause,
) -> None:
    """The customer record as a registration, an update or a merge's survivor carries it."""
    facts = _facts(uow, snapshot.customer_id)
    if facts.apply_snapshot(snapshot, version, occurred_at):
        uow.customers.save(facts)
        _refresh(uow, facts.customer_id, cause)
    else:
        log.debug("stale snapshot of %s (version %d) ignored", snapshot.customer_id, version)


def record_merge(
    uow: ReadModelUnit,
    survivor: CustomerSnapshot,
    version: int,
    *,
    merged_id: str,
    merged_version: int,
    occurred_at: datetime,
    cause: Cause,
) -> None:
    apply_snapshot(uow, survivor, version, occurred_at, cause)
    merged = _facts(uow, merged_id)
    if merged.mark_merged(survivor.customer_id, merged_version, occurred_at):
        uow.customers.save(merged)
        _refresh(uow, merged_id, cause)
    else:
        log.debug("stale merge of %s (version %d) ignored", merged_id, merged_version)


def set_blacklisted(
    uow: ReadModelUnit,
    customer_id: str,
    blacklisted: bool,
    version: int,
    occurred_at: datetime,
    cause: Cause,
) -> None:
    facts = _facts(uow, customer_id)
    if facts.set_blacklisted(blacklisted, version, occurred_at):
        uow.customers.save(facts)
        _refresh(uow, customer_id, cause)
    else:
        log.debug("stale blacklist change of %s (version %d) ignored", customer_id, version)


def set_consent(
    uow: ReadModelUnit,
    customer_id: str,
    channel: str,
    granted: bool,
    version: int,
    occurred_at: datetime,
    cause: Cause,
) -> None:
    facts = _facts(uow, customer_id)
    if facts.set_consent(channel, granted, version, occurred_at):
        uow.customers.save(facts)
        _refresh(uow, customer_id, cause)
    else:
        log.debug("stale consent change of %s (version %d) ignored", customer_id, version)


def _refresh(uow: ReadModelUnit, customer_id: str, cause: Cause) -> None:
    refresh_customers(uow, [customer_id], cause.actor, cause.today)


def _facts(uow: ReadModelUnit, customer_id: str) -> CustomerFacts:
    return uow.customers.get(customer_id) or CustomerFacts(customer_id)
