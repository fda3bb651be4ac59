"""The sales domain's values: who acts, and money. Immutable, so the aggregate (orders.py), the
contract terms (contracts.py) and the events (events.py) all speak in them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from uuid import UUID

from crm_platform.errors import FieldViolation, ValidationFailed

CENT = Decimal("0.01")
# Far above any order, and far below where cents would lose precision in Decimal arithmetic.
MAX_AMOUNT = Decimal("1e15")
_CURRENCY = re.compile(r"[A-Z]{3}")

# The staff roles that work orders through the workflow, and those among them that decide.
SALES_ROLES = frozenset({"admin", "manager", "sales_rep"})
MANAGER_ROLES = frozenset({"admin", "manager"})


class ActorKind(StrEnum):
    STAFF = "staff"
    CUSTOMER = "customer"
    PARTNER = "partner"
    SERVICE = "service"
    SYSTEM = "system"


@dataclass(frozen=True)
class Actor:
    """Who takes a step: recorded in the order's history and on every event."""

    subject: str
    kind: ActorKind
    roles: frozenset[str] = frozenset()
    customer_id: UUID | None = None  # for a customer: the customer record they are
    partner_id: UUID | None = None  # for a partner user: the partner they work for

    @property
    def is_staff(self) -> bool:
        """A staff member who may take the company's steps of the workflow."""
        return self.kind is ActorKind.STAFF and bool(self.roles & SALES_ROLES)

    @property
    def is_manager(self) -> bool:
        return self.kind is ActorKind.STAFF and bool(self.roles & MANAGER_ROLES)


@dataclass(frozen=True)
class Money:
    """An amount of one currency, in whole cents, never negative.

    Constructing one directly is for values already checked (stored ones); `Money.of` checks
    what a caller sent and reports it as a validation failure.
    """

    amount: Decimal
    currency: str  # ISO 4217

    def __post_init__(self) -> None:
        violation = _money_violation(self.amount, self.currency)
        if violation is not None:
            raise ValueError(f"{violation.field} {violation.description}")
        object.__setattr__(self, "amount", self.amount.quantize(CENT))

    @classmethod
    def of(cls, amount: Decimal | str, currency: str) -> Money:
        try:
            value = Decimal(amount)
        except InvalidOperation:
            raise ValidationFailed(FieldViolation("amount", "is not a number")) from None
        violation = _money_violation(value, currency)
        if violation is not None:
            raise ValidationFailed(violation)
        return cls(value, currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal(0), currency)

    def percent(self, percent: Decimal) -> Money:
        """`percent` % of this amount, rounded half up to the cent."""
        share = (self.amount * percent / 100).quantize(CENT, rounding=ROUND_HALF_UP)
        return Money(share, self.currency)

    def __add__(self, other: Money) -> Money:
        return Money(self.amount + self._same_currency(other).amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        return Money(self.amount - self._same_currency(other).amount, self.currency)

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"

    def _same_currency(self, other: Money) -> Money:
        if other.currency != self.currency:
            raise ValueError(f"cannot combine {self.currency} with {other.currency}")
        return other


def _money_violation(amount: Decimal, currency: str) -> FieldViolation | None:
    if not _CURRENCY.fullmatch(currency):
        return FieldViolation("currency", "must be an ISO 4217 code of three capital letters")
    if not amount.is_finite():
        return FieldViolation("amount", "must be a finite number")
    if amount < 0:
        return FieldViolation("amount", "must not be negative")
    if amount >= MAX_AMOUNT:
        return FieldViolation("amount", f"must be less than {MAX_AMOUNT:,.0f}")
    if amount != amount.quantize(CENT):
        return FieldViolation("amount", "must have at most 2 decimal places")
    return None


def who(actor: Actor) -> str:
    """The actor as refusals name them."""
    return f"{actor.kind} {actor.subject!r}"


def checked_text(value: str, field_path: str, max_length: int, *, required: bool = False) -> str:
    """`value` stripped, or ValidationFailed on `field_path` when blank but required or too long."""
    text = value.strip()
    if required and not text:
        raise ValidationFailed(FieldViolation(field_path, "is required"))
    if len(text) > max_length:
        raise ValidationFailed(
            FieldViolation(field_path, f"must be at most {max_length} characters")
        )
    return text
