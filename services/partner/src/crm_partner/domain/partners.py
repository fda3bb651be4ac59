"""The partner directory: what a partner does (capabilities and specialties), where (its place
and the regions it serves), how much at once (capacity in concurrent assignments), how good
(tier and rating), whether it is offered work (active) and whether it is also a competitor
(never suggested)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from uuid import UUID

from crm_platform.errors import Conflict, FieldViolation, PermissionDenied, ValidationFailed

from crm_partner.domain.values import MANAGER_ROLES, Actor, Place, checked_names

NAME_MAX_LENGTH = 200
RATING_MAX = Decimal(5)


class Tier(StrEnum):
    BRONZE = "bronze"
    SILVER = "silver"
    GOLD = "gold"
    PLATINUM = "platinum"


# how much a tier counts in the ranking of suggestions (0 to 1)
TIER_WEIGHTS = {Tier.BRONZE: 0.25, Tier.SILVER: 0.5, Tier.GOLD: 0.75, Tier.PLATINUM: 1.0}


@dataclass(frozen=True)
class Profile:
    """What staff say about a partner: the fields a create or an update gives."""

    name: str
    capabilities: tuple[str, ...]
    specialties: tuple[str, ...]
    regions: tuple[str, ...]
    location: Place
    capacity: int
    tier: Tier
    rating: Decimal
    active: bool
    competitor: bool

    @classmethod
    def of(
        cls,
        *,
        name: str,
        capabilities: list[str],
        specialties: list[str],
        regions: list[str],
        location: Place,
        capacity: int,
        tier: Tier,
        rating: str,
        active: bool,
        competitor: bool,
    ) -> Profile:
        """A profile from what a caller sent; ValidationFailed naming each bad field."""
        violations: list[FieldViolation] = []
        if not name.strip():
            violations.append(FieldViolation("name", "is required"))
        elif len(name.strip()) > NAME_MAX_LENGTH:
            violations.append(FieldViolation("name", f"at most {NAME_MAX_LENGTH} characters"))
        if capacity < 1:
            violations.append(FieldViolation("capacity", "must be 1 or more"))
        try:
            score = Decimal(rating or "0")
        except InvalidOperation:
            score = Decimal(-1)
        if not score.is_finite() or not Decimal(0) <= score <= RATING_MAX:
            violations.append(FieldViolation("rating", "must be a number from 0 to 5"))
        lists: dict[str, tuple[str, ...]] = {}
        for field_name, values in (
            ("capabilities", capabilities),
            ("specialties", specialties),
            ("regions", regions),
        ):
            try:
                lists[field_name] = checked_names(values, field_name)
            except ValidationFailed as exc:
                violations.extend(exc.violations)
        if violations:
            raise ValidationFailed(violations)
        return cls(
            name=name.strip(),
            capabilities=lists["capabilities"],
            specialties=lists["specialties"],
            regions=lists["regions"],
            location=location,
            capacity=capacity,
            tier=tier,
            rating=score.quantize(Decimal("0.01")),
            active=active,
            competitor=competitor,
        )

    @property
    def skills(self) -> frozenset[str]:
        """What the partner can be matched on: its capabilities and specialties."""
        return frozenset(self.capabilities) | frozenset(self.specialties)


@dataclass(frozen=True)
class PartnerRegistered:
    partner: PartnerView
    actor: Actor

    @property
    def subject_id(self) -> UUID:
        return self.partner.id


@dataclass(frozen=True)
class PartnerUpdated:
    partner: PartnerView
    actor: Actor

    @property
    def subject_id(self) -> UUID:
        return self.partner.id


@dataclass(frozen=True)
class PartnerView:
    """The partner as it stood at an event."""

    id: UUID
    profile: Profile
    version: int
    created_at: datetime
    updated_at: datetime


@dataclass
class Partner:
    id: UUID
    profile: Profile
    version: int
    created_at: datetime
    updated_at: datetime
    _events: list[object] = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def register(cls, actor: Actor, now: datetime, partner_id: UUID, profile: Profile) -> Partner:
        _managers_only(actor, "add a partner")
        partner = cls(partner_id, profile, 1, now, now)
        partner._events.append(PartnerRegistered(partner.view(), actor))
        return partner

    def update(
        self, actor: Actor, now: datetime, profile: Profile, expected_version: int = 0
    ) -> None:
        _managers_only(actor, f"change partner {self.id}")
        if expected_version and expected_version != self.version:
            raise Conflict(
                f"partner {self.id} is at version {self.version}, not {expected_version}"
            )
        if profile == self.profile:
            return  # nothing changes: no event
        self.profile = profile
        self.version += 1
        self.updated_at = now
        self._events.append(PartnerUpdated(self.view(), actor))

    @property
    def name(self) -> str:
        return self.profile.name

    def view(self) -> PartnerView:
        return PartnerView(self.id, self.profile, self.version, self.created_at, self.updated_at)

    def pull_events(self) -> list[object]:
        events, self._events = self._events, []
        return events


def _managers_only(actor: Actor, what: str) -> None:
    if not actor.has_role(MANAGER_ROLES):
        raise PermissionDenied(f"{actor.subject} may not {what}")
