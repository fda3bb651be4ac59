"""Deal registration: a partner user registers their own deal with a customer (and sales'
opportunity, when there is one) as a draft and submits it; staff approve or reject it. An
approved registration protects the customer and the opportunity: another partner's
registration of either is refused (`protected_by`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from crm_platform.errors import (
    Conflict,
    FailedPrecondition,
    FieldViolation,
    PermissionDenied,
    ValidationFailed,
)

from crm_partner.domain.values import MANAGER_ROLES, SALES_ROLES, Actor, ActorKind

TITLE_MAX_LENGTH = 200
NOTES_MAX_LENGTH = 4000


class RegistrationState(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"


@dataclass(frozen=True)
class Amount:
    value: Decimal
    currency: str


@dataclass(frozen=True)
class RegistrationView:
    id: UUID
    partner_id: UUID
    customer_id: UUID
    opportunity_id: UUID | None
    title: str
    amount: Amount | None
    notes: str
    state: RegistrationState
    registered_by: str
    decided_by: str
    reason: str
    version: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class DealRegistrationChanged:
    registration: RegistrationView
    from_state: RegistrationState | None  # None: created
    actor: Actor

    @property
    def subject_id(self) -> UUID:
        return self.registration.id


@dataclass
class DealRegistration:
    id: UUID
    partner_id: UUID
    customer_id: UUID
    opportunity_id: UUID | None
    title: str
    amount: Amount | None
    notes: str
    state: RegistrationState
    registered_by: str
    decided_by: str
    reason: str
    version: int
    created_at: datetime
    updated_at: datetime
    _events: list[object] = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def register(
        cls,
        actor: Actor,
        now: datetime,
        registration_id: UUID,
        *,
        customer_id: UUID,
        opportunity_id: UUID | None,
        title: str,
        amount: Amount | None,
        notes: str,
        protected_by: DealRegistration | None,
    ) -> DealRegistration:
        """A partner user's own draft; refused when another partner's approved registration
        (`protected_by`) covers the customer or the opportunity."""
        if actor.kind is not ActorKind.PARTNER or actor.partner_id is None:
            raise PermissionDenied(f"{actor.subject} is not a partner user")
        violations = []
        if not title.strip():
            violations.append(FieldViolation("title", "is required"))
        elif len(title.strip()) > TITLE_MAX_LENGTH:
            violations.append(FieldViolation("title", f"at most {TITLE_MAX_LENGTH} characters"))
        if len(notes) > NOTES_MAX_LENGTH:
            violations.append(FieldViolation("notes", f"at most {NOTES_MAX_LENGTH} characters"))
        if violations:
            raise ValidationFailed(violations)
        registration = cls(
            registration_id, actor.partner_id, customer_id, opportunity_id, title.strip(),
            amount, notes.strip(), RegistrationState.DRAFT, actor.subject, "", "", 1, now, now,
        )  # fmt: skip
        registration.refuse_if_protected(protected_by)
        registration._events.append(DealRegistrationChanged(registration.view(), None, actor))
        return registration

    def visible_to(self, actor: Actor) -> bool:
        return actor.has_role(SALES_ROLES) or actor.works_for(self.partner_id)

    def covers(self, other: DealRegistration) -> bool:
        """Whether this registration and `other` are about the same customer or opportunity."""
        return self.customer_id == other.customer_id or (
            self.opportunity_id is not None and self.opportunity_id == other.opportunity_id
        )

    def refuse_if_protected(self, protected_by: DealRegistration | None) -> None:
        if (
            protected_by is not None
            and protected_by.partner_id != self.partner_id
            and protected_by.state is RegistrationState.APPROVED
            and protected_by.covers(self)
        ):
            what = (
                f"opportunity {self.opportunity_id}"
                if self.opportunity_id is not None
                and protected_by.opportunity_id == self.opportunity_id
                else f"customer {self.customer_id}"
            )
            raise FailedPrecondition(
                f"{what} is protected by another partner's approved deal registration"
            )

    def submit(
        self,
        actor: Actor,
        now: datetime,
        protected_by: DealRegistration | None,
        expected_version: int = 0,
    ) -> None:
        if not actor.works_for(self.partner_id):
            raise PermissionDenied(f"{actor.subject} may not submit registration {self.id}")
        self.refuse_if_protected(protected_by)
        self._move(
            actor, now, RegistrationState.DRAFT, RegistrationState.SUBMITTED, expected_version
        )

    def approve(
        self,
        actor: Actor,
        now: datetime,
        protected_by: DealRegistration | None,
        expected_version: int = 0,
    ) -> None:
        self._staff_decides(actor)
        self.refuse_if_protected(protected_by)
        self.decided_by = actor.subject
        self._move(
            actor, now, RegistrationState.SUBMITTED, RegistrationState.APPROVED, expected_version
        )

    def reject(self, actor: Actor, now: datetime, reason: str, expected_version: int = 0) -> None:
        self._staff_decides(actor)
        if not reason.strip():
            raise ValidationFailed(FieldViolation("reason", "say why the deal is rejected"))
        self.decided_by, self.reason = actor.subject, reason.strip()
        self._move(
            actor, now, RegistrationState.SUBMITTED, RegistrationState.REJECTED, expected_version
        )

    def view(self) -> RegistrationView:
        return RegistrationView(
            self.id, self.partner_id, self.customer_id, self.opportunity_id, self.title,
            self.amount, self.notes, self.state, self.registered_by, self.decided_by,
            self.reason, self.version, self.created_at, self.updated_at,
        )  # fmt: skip

    def pull_events(self) -> list[object]:
        events, self._events = self._events, []
        return events

    def _staff_decides(self, actor: Actor) -> None:
        if not actor.has_role(MANAGER_ROLES):
            raise PermissionDenied(f"{actor.subject} may not decide on registration {self.id}")

    def _move(
        self,
        actor: Actor,
        now: datetime,
        source: RegistrationState,
        target: RegistrationState,
        expected_version: int,
    ) -> None:
        if expected_version and expected_version != self.version:
            raise Conflict(
                f"registration {self.id} is at version {self.version}, not {expected_version}"
            )
        if self.state is not source:
            raise FailedPrecondition(f"registration {self.id} is {self.state}, not {source}")
        self.state = target
        self.version += 1
        self.updated_at = now
        self._events.append(DealRegistrationChanged(self.view(), source, actor))
