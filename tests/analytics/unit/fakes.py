"""In-memory stand-ins for the read model's unit of work, for handler tests."""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Sequence
from datetime import date
from uuid import UUID

from crm_analytics.domain.age import AGE_BAND_KEYS, age_band
from crm_analytics.domain.customer_facts import UNKNOWN, CustomerFacts
from crm_analytics.domain.rule_segments import Membership, MembershipChanges, Segment
from crm_analytics.domain.segments import DemographicSegments, largest_first


class FakeCustomerFacts:
    def __init__(self) -> None:
        self.rows: dict[str, CustomerFacts] = {}

    def get(self, customer_id: str) -> CustomerFacts | None:
        row = self.rows.get(customer_id)
        return copy.deepcopy(row) if row is not None else None

    def save(self, facts: CustomerFacts) -> None:
        self.rows[facts.customer_id] = copy.deepcopy(facts)

    def demographic_segments(self, today: date) -> DemographicSegments:
        counted = [facts for facts in self.rows.values() if facts.counted]
        ages = dict.fromkeys(AGE_BAND_KEYS, 0)
        ages.update(Counter(age_band(facts.birth_date, today) for facts in counted))
        times = [facts.last_event_at for facts in self.rows.values() if facts.last_event_at]
        return DemographicSegments(
            total_customers=len(counted),
            by_region=largest_first(Counter(f.region or UNKNOWN for f in counted)),
            by_gender=largest_first(Counter(f.gender or UNKNOWN for f in counted)),
            by_age_band=list(ages.items()),
            by_source=largest_first(Counter(f.acquisition_source or UNKNOWN for f in counted)),
            blacklisted_customers=sum(1 for f in counted if f.blacklisted),
            merged_customers=sum(1 for f in self.rows.values() if f.merged_into),
            as_of=max(times, default=None),
        )


class FakeSegments:
    """Segments for the membership checks: `every` is all the consumer path reads."""

    def __init__(self) -> None:
        self.rows: list[Segment] = []

    def every(self) -> list[Segment]:
        return list(self.rows)


class FakeMemberships:
    """Memberships whose rule checks are given by the test: `matching[customer_id]` is the set
    of segment ids the customer's facts match now."""

    def __init__(self) -> None:
        self.rows: dict[tuple[UUID, str], Membership] = {}
        self.matching: dict[str, set[UUID]] = {}

    def of_customer(self, customer_id: str) -> dict[UUID, Membership]:
        return {s: m for (s, c), m in self.rows.items() if c == customer_id}

    def segments_matching(
        self, customer_id: str, candidates: Sequence[Segment], today: date
    ) -> set[UUID]:
        return self.matching.get(customer_id, set()) & {segment.id for segment in candidates}

    def put(self, segment_id: UUID, customer_id: str, membership: Membership) -> None:
        self.rows[(segment_id, customer_id)] = membership


class FakeUnitOfWork:
    def __init__(self) -> None:
        self.customers = FakeCustomerFacts()
        self.segments = FakeSegments()
        self.memberships = FakeMemberships()
        self.membership_changes = MembershipChanges()

    def __enter__(self) -> FakeUnitOfWork:
        return self

    def __exit__(self, *_exc: object) -> None:
        return None
