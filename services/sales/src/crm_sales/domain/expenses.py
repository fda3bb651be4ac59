"""A sales rep's expense: submitted -> approved | rejected -> (approved) reimbursed.

A manager of the rep's team, or an admin, decides; never the rep who submitted it. Finance
reimburses what was approved. Pure Python; times are UTC and passed in (`now`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from uuid import UUID

from crm_platform.errors import (
    FailedPrecondition,
    FieldViolation,
    PermissionDenied,
    ValidationFailed,
)

from crm_sales.domain.values import Actor, ActorKind, Money, checked_text

DESCRIPTION_MAX_LENGTH = 1000
REFERENCE_MAX_LENGTH = 200
REASON_MAX_LENGTH = 500
REIMBURSING_ROLES = frozenset({"admin", "finance"})


class ExpenseCategory(StrEnum):
    TRAVEL = "travel"
    MEALS = "meals"
    LODGING = "lodging"
    ENTERTAINMENT = "entertainment"
    MATERIALS = "materials"
    OTHER = "other"


class ExpenseState(StrEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    REIMBURSED = "reimbursed"


class DealKind(StrEnum):
    OPPORTUNITY = "opportunity"
    ORDER = "order"


@dataclass(frozen=True)
class Deal:
    """The opportunity or order the money was spent on."""

    kind: DealKind
    id: UUID


@dataclass
class Expense:
    id: UUID
    owner_id: str  # the rep who spent it
    amount: Money
    category: ExpenseCategory
    spent_on: date
    description: str
    deal: Deal | None
    receipt_reference: str | None
    state: ExpenseState
    decided_by: str | None
    decided_at: datetime | None
    rejection_reason: str | None
    reimbursed_by: str | None
    reimbursed_at: datetime | None
    payment_reference: str | None
    version: int
    created_at: datetime
    updated_at: datetime
    _events: list[object] = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def submit(
        cls,
        *,
        id: UUID,
        amount: Money,
        category: ExpenseCategory,
        spent_on: date,
        description: str,
        deal: Deal | None,
        receipt_reference: str,
        actor: Actor,
        now: datetime,
    ) -> Expense:
        """The actor's own expense."""
        if not actor.is_staff:
            raise PermissionDenied(f"{actor.kind} {actor.subject!r} may not submit expenses")
        violations: list[FieldViolation] = []
        if amount.amount <= 0:
            violations.append(FieldViolation("amount.amount", "must be above 0"))
        if spent_on > now.date():
            violations.append(FieldViolation("spent_on", "must not be in the future"))
        texts: dict[str, str] = {}
        for name, value, limit, required in (
            ("description", description, DESCRIPTION_MAX_LENGTH, True),
            ("receipt_reference", receipt_reference, REFERENCE_MAX_LENGTH, False),
        ):
            try:
                texts[name] = checked_text(value, name, limit, required=required)
            except ValidationFailed as exc:
                violations.extend(exc.violations)
        if violations:
            raise ValidationFailed(violations)
        expense = cls(
            id=id,
            owner_id=actor.subject,
            amount=amount,
            category=category,
            spent_on=spent_on,
            description=texts["description"],
            deal=deal,
            receipt_reference=texts["receipt_reference"] or None,
            state=ExpenseState.SUBMITTED,
            decided_by=None,
            decided_at=None,
            rejection_reason=None,
            reimbursed_by=None,
            reimbursed_at=None,
            payment_reference=None,
            version=1,
            created_at=now,
            updated_at=now,
        )
        expense._events.append(ExpenseSubmitted(expense.id, expense.version, actor, expense))
        return expense

    def approve(self, actor: Actor, now: datetime, *, manages_owner: bool) -> None:
        """`manages_owner`: the actor manages a team the rep belongs to."""
        self._decide(actor, manages_owner, "approve")
        self.state = ExpenseState.APPROVED
        self._decided(actor, now)
        self._events.append(ExpenseApproved(self.id, self.version, actor, self))

    def reject(self, actor: Actor, now: datetime, reason: str, *, manages_owner: bool) -> None:
        self._decide(actor, manages_owner, "reject")
        self.rejection_reason = checked_text(reason, "reason", REASON_MAX_LENGTH, required=True)
        self.state = ExpenseState.REJECTED
        self._decided(actor, now)
        self._events.append(ExpenseRejected(self.id, self.version, actor, self))

    def reimburse(self, actor: Actor, now: datetime, payment_reference: str) -> None:
        if not (actor.kind is ActorKind.STAFF and actor.roles & REIMBURSING_ROLES):
            raise PermissionDenied(f"{actor.subject!r} may not reimburse expense {self.id}")
        if self.state is not ExpenseState.APPROVED:
            raise FailedPrecondition(f"expense {self.id} is {self.state}: only approved is paid")
        self.payment_reference = checked_text(
            payment_reference, "payment_reference", REFERENCE_MAX_LENGTH, required=True
        )
        self.state, self.reimbursed_by, self.reimbursed_at = (
            ExpenseState.REIMBURSED,
            actor.subject,
            now,
        )
        self._touch(now)
        self._events.append(ExpenseReimbursed(self.id, self.version, actor, self))

    def pull_events(self) -> list[object]:
        """The events recorded since the last pull, each handed out once."""
        pulled, self._events = self._events, []
        return pulled

    def _decide(self, actor: Actor, manages_owner: bool, what: str) -> None:
        if actor.subject == self.owner_id:
            raise PermissionDenied(f"{actor.subject!r} may not {what} their own expense")
        is_admin = actor.kind is ActorKind.STAFF and "admin" in actor.roles
        if not (is_admin or (actor.is_manager and manages_owner)):
            raise PermissionDenied(
                f"{actor.subject!r} does not manage {self.owner_id!r}: may not {what} the expense"
            )
        if self.state is not ExpenseState.SUBMITTED:
            raise FailedPrecondition(f"expense {self.id} is {self.state}: it was decided")

    def _decided(self, actor: Actor, now: datetime) -> None:
        self.decided_by, self.decided_at = actor.subject, now
        self._touch(now)

    def _touch(self, now: datetime) -> None:
        self.version += 1
        self.updated_at = now


# -- events ---------------------------------------------------------------------------------------


@dataclass(frozen=True, init=False)
class ExpenseEvent:
    subject_id: UUID  # the expense
    version: int
    actor: Actor
    owner_id: str
    amount: Money
    category: ExpenseCategory
    deal: Deal | None
    rejection_reason: str | None
    payment_reference: str | None

    def __init__(self, subject_id: UUID, version: int, actor: Actor, expense: Expense) -> None:
        """The expense's values as they are after the change."""
        for name, value in (
            ("subject_id", subject_id),
            ("version", version),
            ("actor", actor),
            ("owner_id", expense.owner_id),
            ("amount", expense.amount),
            ("category", expense.category),
            ("deal", expense.deal),
            ("rejection_reason", expense.rejection_reason),
            ("payment_reference", expense.payment_reference),
        ):
            object.__setattr__(self, name, value)


class ExpenseSubmitted(ExpenseEvent):
    pass


class ExpenseApproved(ExpenseEvent):
    pass


class ExpenseRejected(ExpenseEvent):
    pass


class ExpenseReimbursed(ExpenseEvent):
    pass
