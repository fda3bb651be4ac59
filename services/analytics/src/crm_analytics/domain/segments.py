"""The demographic segments report: who is counted, and how the counts are laid out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

SegmentCounts = list[tuple[str, int]]  # (key, count)


@dataclass(frozen=True)
class DemographicSegments:
    """Counts of the customers who are registered and not merged into another customer.

    Blacklisted customers are still customers: they are counted in every segment and also
    reported apart. Merged-away customers are counted only in `merged_customers`.
    """

    total_customers: int
    by_region: SegmentCounts
    by_gender: SegmentCounts
    by_age_band: SegmentCounts  # every band, in band order, zeros included
    by_source: SegmentCounts
    blacklisted_customers: int
    merged_customers: int
    as_of: datetime | None  # time of the newest event applied; None before the first


def largest_first(counts: dict[str, int]) -> SegmentCounts:
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))
