"""Keeping segment membership current: one customer after an event, or a whole segment after
its rule changed (or on demand, for what time alone changes: ages, days since an order)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from crm_analytics.domain.rule_segments import Actor, Segment
from crm_analytics.service_layer.ports import ReadModelUnit


@dataclass(frozen=True)
class Cause:
    """The event being applied: who made it (the actor of the membership changes it causes)
    and today's UTC date (ages and days since an order are as of today)."""

    actor: Actor | None
    today: date


def refresh_customers(
    uow: ReadModelUnit, customer_ids: Iterable[str], actor: Actor | None, today: date
) -> int:
    """Check the customers against every segment; the number of joins and leaves."""
    candidates = uow.segments.every()
    if not candidates:
        return 0
    changes = 0
    for customer_id in dict.fromkeys(customer_ids):
        before = uow.memberships.of_customer(customer_id)
        now = uow.memberships.segments_matching(customer_id, candidates, today)
        for segment in candidates:
            after = uow.membership_changes.record(
                segment, customer_id, before.get(segment.id), segment.id in now, actor
            )
            if after is not None:
                uow.memberships.put(segment.id, customer_id, after)
                changes += 1
    return changes


def refresh_segment(uow: ReadModelUnit, segment: Segment, actor: Actor | None, today: date) -> int:
    """Apply the segment's rule to everyone; the number of joins and leaves."""
    joining, leaving = uow.memberships.differences(segment.id, segment.rule, today)
    changes = 0
    for customer_id, before, member in [
        *((customer_id, before, True) for customer_id, before in joining),
        *((customer_id, before, False) for customer_id, before in leaving),
    ]:
        after = uow.membership_changes.record(segment, customer_id, before, member, actor)
        if after is not None:
            uow.memberships.put(segment.id, customer_id, after)
            changes += 1
    return changes
