"""Which partners could take a piece of work, best first.

Only active partners that are not also competitors, have free capacity and were not offered
this work before (declined or let it time out) are candidates; when the work needs
capabilities, a candidate has at least one of them. The search looks near the work first and
widens (RADII_KM) until a radius holds a candidate; a partner that serves the work's region or
country counts as near whatever its distance, and without a place for the work (or for the
partner) distance does not rank. The score weighs capability match, nearness, free capacity,
tier and rating (WEIGHTS).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from uuid import UUID

from crm_partner.domain.partners import RATING_MAX, TIER_WEIGHTS, Partner
from crm_partner.domain.values import Place

RADII_KM = (25.0, 100.0, 400.0, 1500.0, 5000.0)  # then everywhere
EARTH_RADIUS_KM = 6371.0088
WEIGHTS = {"capability": 0.35, "nearness": 0.25, "capacity": 0.15, "tier": 0.1, "rating": 0.15}


@dataclass(frozen=True)
class Load:
    """A partner and the assignments offered to it or held by it now."""

    partner: Partner
    open_assignments: int

    @property
    def free_capacity(self) -> int:
        return max(self.partner.profile.capacity - self.open_assignments, 0)


@dataclass(frozen=True)
class Suggestion:
    load: Load
    score: float
    capability_match: float
    distance_km: float | None  # None: a place unknown


@dataclass(frozen=True)
class Suggestions:
    items: tuple[Suggestion, ...]
    radius_km: float | None  # how far the search looked; None: everywhere


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """The great-circle distance between two (latitude, longitude) points in degrees."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def rank(
    loads: list[Load],
    *,
    capabilities: tuple[str, ...],
    place: Place,
    excluded: frozenset[UUID] = frozenset(),
    limit: int = 10,
) -> Suggestions:
    needed = frozenset(capabilities)
    candidates = []
    for load in loads:
        profile = load.partner.profile
        if not profile.active or profile.competitor or load.partner.id in excluded:
            continue
        if load.free_capacity <= 0:
            continue
        match = len(needed & profile.skills) / len(needed) if needed else 1.0
        if needed and match == 0:
            continue
        candidates.append((load, match, _distance(place, load.partner), _serves(place, load)))
    radius = None
    if place.coordinates is not None and candidates:
        for candidate_radius in RADII_KM:
            near = [
                c for c in candidates if c[3] or (c[2] is not None and c[2] <= candidate_radius)
            ]
            if near:
                candidates, radius = near, candidate_radius
                break
    items = [
        Suggestion(load, _score(load, match, distance, serves, radius), match, distance)
        for load, match, distance, serves in candidates
    ]
    items.sort(key=lambda s: (-s.score, s.load.partner.name, s.load.partner.id))
    return Suggestions(tuple(items[:limit]), radius)


def _distance(place: Place, partner: Partner) -> float | None:
    there = partner.profile.location.coordinates
    if place.coordinates is None or there is None:
        return None
    return haversine_km(place.coordinates, there)


def _serves(place: Place, load: Load) -> bool:
    regions = load.partner.profile.regions
    return any(
        name and name.lower() in regions for name in (place.region, place.country_code, place.city)
    )


def _score(
    load: Load, match: float, distance: float | None, serves: bool, radius: float | None
) -> float:
    profile = load.partner.profile
    if serves:
        nearness = 1.0
    elif distance is None:
        nearness = 0.5  # unknown: neither near nor far
    else:
        nearness = max(0.0, 1.0 - distance / (radius or RADII_KM[-1] * 4))
    parts = {
        "capability": match,
        "nearness": nearness,
        "capacity": load.free_capacity / profile.capacity,
        "tier": TIER_WEIGHTS[profile.tier],
        "rating": float(profile.rating / RATING_MAX),
    }
    return round(sum(WEIGHTS[name] * value for name, value in parts.items()), 6)
