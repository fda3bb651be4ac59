"""The customer domain's values: immutable, and free of behaviour, so that the aggregate
(model.py) and its events (events.py) both speak in them without importing each other."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from uuid import UUID


class PartyKind(StrEnum):
    PERSON = "person"
    ORGANIZATION = "organization"


class Gender(StrEnum):
    FEMALE = "female"
    MALE = "male"
    OTHER = "other"


class AcquisitionSource(StrEnum):
    WEB = "web"
    PHONE = "phone"
    SALES_REP = "sales_rep"
    DISTRIBUTOR = "distributor"
    PARTNER = "partner"
    CAMPAIGN = "campaign"
    PORTAL = "portal"


class ConsentChannel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    PHONE = "phone"
    POST = "post"


class InteractionChannel(StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    SMS = "sms"
    MEETING = "meeting"
    PORTAL = "portal"
    WEB = "web"
    CHAT = "chat"
    POST = "post"
    TASK = "task"  # a sales task done for the customer


class ActorKind(StrEnum):
    UNSPECIFIED = "unspecified"
    STAFF = "staff"
    CUSTOMER = "customer"
    PARTNER = "partner"
    SERVICE = "service"
    SYSTEM = "system"


class Recognition(StrEnum):
    NEW = "new"
    RETURNING = "returning"
    BLACKLISTED = "blacklisted"


@dataclass(frozen=True)
class Actor:
    """Who made a change: recorded on interactions and on every event."""

    subject: str
    kind: ActorKind


@dataclass(frozen=True)
class Consent:
    channel: ConsentChannel
    granted: bool
    updated_at: datetime


@dataclass(frozen=True)
class Profile:
    """The editable part of a customer: every field UpdateCustomer may name in its mask."""

    kind: PartyKind = PartyKind.PERSON
    name: str = ""
    email: str | None = None
    phone: str | None = None
    region: str | None = None
    city: str | None = None
    birth_date: date | None = None
    gender: Gender | None = None
    tags: tuple[str, ...] = ()
    preferences: Mapping[str, str] = field(default_factory=dict)
    acquisition_source: AcquisitionSource | None = None
    owner_id: UUID | None = None
    # The partner the record is assigned to: that partner's users may read it (access.py).
    partner_id: UUID | None = None


@dataclass(frozen=True)
class Interaction:
    """One touchpoint on a customer's timeline: a call, an email, a meeting, a portal visit."""

    id: UUID
    customer_id: UUID
    channel: InteractionChannel
    summary: str
    occurred_at: datetime
    actor: Actor
    recorded_at: datetime


@dataclass(frozen=True)
class CustomerState:
    """A customer record as it stands after a change: what its events carry."""

    id: UUID
    profile: Profile
    created_at: datetime
    updated_at: datetime
    version: int
    blacklisted: bool
    blacklist_reason: str | None
    merged_into_id: UUID | None
    consents: Mapping[ConsentChannel, Consent]
