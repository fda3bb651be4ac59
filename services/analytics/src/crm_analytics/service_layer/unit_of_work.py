"""What the handlers need from a unit of work; the database one is adapters.unit_of_work."""

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
