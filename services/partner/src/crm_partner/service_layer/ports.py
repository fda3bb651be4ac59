"""What the partner handlers need from storage and from the outside (a geocoder, the
calendar answers are due in); adapters provide it, unit tests fake it."""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from crm_platform.paging import Cursor
from crm_platform.ports import Transaction

from crm_partner.domain.assignments import Assignment, AssignmentState, AssignmentView, WorkKind
from crm_partner.domain.campaigns import JointCampaign
from crm_partner.domain.partners import Partner
from crm_partner.domain.registrations import DealRegistration, RegistrationState
from crm_partner.domain.suggestions import Load


class Geocoder(Protocol):
    def __call__(self, country_code: str, region: str, city: str) -> tuple[float, float] | None:
        """Where a place is (latitude, longitude), None when it is not known."""
        ...


class PartnerRepository(Protocol):
    def get(self, partner_id: UUID) -> Partner | None: ...

    def add(self, partner: Partner) -> None: ...

    def save(self, partner: Partner) -> None: ...

    def list(self, capability: str, after: Cursor | None, limit: int) -> builtins.list[Partner]: ...

    def loads(self) -> builtins.list[Load]:
        """Every active partner with the assignments offered to or held by it now (a
        company works with hundreds of partners, not millions)."""
        ...

    def open_assignments(self, partner_id: UUID) -> int: ...


@dataclass(frozen=True)
class AssignmentFilters:
    partner_id: UUID | None = None  # offered to that partner (now or before)
    state: AssignmentState | None = None
    work_id: UUID | None = None


class AssignmentRepository(Protocol):
    def get(self, assignment_id: UUID) -> Assignment | None: ...

    def add(self, assignment: Assignment) -> None: ...

    def save(self, assignment: Assignment) -> None: ...

    def list(
        self, filters: AssignmentFilters, after: Cursor | None, limit: int
    ) -> builtins.list[Assignment]: ...

    def open_for(self, kind: WorkKind, work_id: UUID) -> Assignment | None:
        """The offered or accepted assignment of a piece of work (one at most)."""
        ...

    def due(self, now: datetime, limit: int) -> builtins.list[UUID]:
        """Offered assignments whose current offer's deadline has passed, oldest first."""
        ...

    def offered_to(self, partner_id: UUID) -> builtins.list[AssignmentView]:
        """Every assignment ever offered to the partner, for its scorecard."""
        ...


class RegistrationRepository(Protocol):
    def get(self, registration_id: UUID) -> DealRegistration | None: ...

    def add(self, registration: DealRegistration) -> None: ...

    def save(self, registration: DealRegistration) -> None: ...

    def list(
        self,
        partner_id: UUID | None,
        state: RegistrationState | None,
        after: Cursor | None,
        limit: int,
    ) -> builtins.list[DealRegistration]: ...

    def approved_covering(
        self, customer_id: UUID, opportunity_id: UUID | None, other_than: UUID
    ) -> DealRegistration | None:
        """An approved registration of another partner than `other_than` of that customer or
        opportunity."""
        ...


class CampaignRepository(Protocol):
    def get(self, campaign_id: UUID) -> JointCampaign | None: ...

    def add(self, campaign: JointCampaign) -> None: ...

    def save(self, campaign: JointCampaign) -> None: ...


class UnitOfWork(Transaction, Protocol):
    """One transaction: the aggregates' changes and their events commit together."""

    @property
    def partners(self) -> PartnerRepository: ...

    @property
    def assignments(self) -> AssignmentRepository: ...

    @property
    def registrations(self) -> RegistrationRepository: ...

    @property
    def campaigns(self) -> CampaignRepository: ...
