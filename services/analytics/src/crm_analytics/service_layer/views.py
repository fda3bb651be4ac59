"""Queries over the read model."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date

from crm_analytics.domain.segments import DemographicSegments
from crm_analytics.service_layer.ports import ReadModelUnit


def demographic_segments(
    uow_factory: Callable[[], AbstractContextManager[ReadModelUnit]], today: date
) -> DemographicSegments:
    """The segments, with ages as of `today` (the caller's UTC date)."""
    with uow_factory() as uow:
        return uow.customers.demographic_segments(today)
