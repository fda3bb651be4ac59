"""Queries over the read model."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date

from crm_platform.errors import NotFound

from crm_analytics.domain.orders import CustomerValue, summarize
from crm_analytics.domain.rfm import Score
from crm_analytics.domain.segments import DemographicSegments
from crm_analytics.service_layer.ports import ReadModelUnit


def demographic_segments(
    uow_factory: Callable[[], AbstractContextManager[ReadModelUnit]], today: date
) -> DemographicSegments:
    """The segments, with ages as of `today` (the caller's UTC date)."""
    with uow_factory() as uow:
        return uow.customers.demographic_segments(today)


def customer_value(
    uow_factory: Callable[[], AbstractContextManager[ReadModelUnit]], customer_id: str
) -> tuple[CustomerValue, Score | None]:
    """The customer's sums, and their RFM score (None: nothing scored them yet)."""
    with uow_factory() as uow:
        found = uow.value.value(customer_id)
        if found is not None:
            return found, uow.rfm.score(customer_id)
        if uow.customers.get(customer_id) is None:
            raise NotFound(f"no event has named the customer {customer_id}")
        return summarize(customer_id, [], [], []), None
