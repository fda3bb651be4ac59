"""What the handlers and views need from storage; adapters provide it, unit tests fake it."""

from __future__ import annotations

from datetime import date
from typing import Protocol

from crm_analytics.domain.customer_facts import CustomerFacts
from crm_analytics.domain.segments import DemographicSegments


class CustomerFactsStore(Protocol):
    def get(self, customer_id: str) -> CustomerFacts | None: ...

    def save(self, facts: CustomerFacts) -> None: ...

    def demographic_segments(self, today: date) -> DemographicSegments: ...


class ReadModelUnit(Protocol):
    @property
    def customers(self) -> CustomerFactsStore: ...
