"""Values the partner service's aggregates share: who acts, where a place is."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

from crm_platform.errors import FieldViolation, ValidationFailed

# staff who run the partner programme: the directory, withdrawals, registrations' decisions
MANAGER_ROLES = frozenset({"admin", "manager"})
# staff who may outsource work and read the outsourcing
SALES_ROLES = MANAGER_ROLES | {"sales_rep"}
MARKETING_ROLES = MANAGER_ROLES | {"marketer"}
READER_ROLES = SALES_ROLES | {"marketer", "analyst"}


class ActorKind(StrEnum):
    STAFF = "staff"
    CUSTOMER = "customer"
    PARTNER = "partner"
    SERVICE = "service"
    SYSTEM = "system"


@dataclass(frozen=True)
class Actor:
    """Who takes a step: recorded on every event."""

    subject: str
    kind: ActorKind
    roles: frozenset[str] = frozenset()
    partner_id: UUID | None = None  # for a partner user: the partner they work for

    def has_role(self, roles: frozenset[str]) -> bool:
        return self.kind is ActorKind.STAFF and bool(self.roles & roles)

    def works_for(self, partner_id: UUID | None) -> bool:
        return (
            self.kind is ActorKind.PARTNER
            and self.partner_id is not None
            and self.partner_id == partner_id
        )


@dataclass(frozen=True)
class Place:
    """A country (ISO 3166 code, upper case), region and city as given; `coordinates` where
    that is, when it could be found."""

    country_code: str = ""
    region: str = ""
    city: str = ""
    coordinates: tuple[float, float] | None = None  # latitude, longitude in degrees

    @property
    def is_given(self) -> bool:
        return bool(self.country_code or self.region or self.city)


def checked_names(values: list[str] | tuple[str, ...], field: str) -> tuple[str, ...]:
    """Capabilities, specialties, regions: trimmed, lower case, each once, in the order given."""
    names: dict[str, None] = {}
    for index, value in enumerate(values):
        name = " ".join(value.split()).lower()
        if not name:
            raise ValidationFailed(FieldViolation(f"{field}[{index}]", "must not be blank"))
        names[name] = None
    return tuple(names)
