"""The marketing domain's values: who acts, money, and checked text."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum

from crm_platform.errors import FieldViolation, PermissionDenied, ValidationFailed

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("1e15")
_CURRENCY = re.compile(r"[A-Z]{3}")

# the staff who change what marketing keeps (the catalog, the forms)
MARKETING_ROLES = frozenset({"admin", "manager", "marketer"})


class ActorKind(StrEnum):
    STAFF = "staff"
    CUSTOMER = "customer"
    PARTNER = "partner"
    SERVICE = "service"
    SYSTEM = "system"


@dataclass(frozen=True)
class Actor:
    """Who makes a change: recorded on every event."""

    subject: str
    kind: ActorKind
    roles: frozenset[str] = frozenset()

    @property
    def is_marketing_staff(self) -> bool:
        return self.kind is ActorKind.STAFF and bool(self.roles & MARKETING_ROLES)


def require_marketing_staff(actor: Actor, what: str) -> None:
    if not actor.is_marketing_staff:
        raise PermissionDenied(f"{actor.kind} {actor.subject!r} may not {what}")


@dataclass(frozen=True)
class Money:
    """An amount of one currency, to the cent, never negative."""

    amount: Decimal
    currency: str  # ISO 4217

    def __post_init__(self) -> None:
        violation = money_violation(self.amount, self.currency, "")
        if violation is not None:
            raise ValueError(f"{violation.field} {violation.description}")
        object.__setattr__(self, "amount", self.amount.quantize(CENT))

    @classmethod
    def of(cls, amount: str, currency: str, field: str) -> Money:
        """What a caller sent, checked; violations name `field` (".amount", ".currency_code")."""
        value = required_decimal(amount, f"{field}.amount")
        violation = money_violation(value, currency, field)
        if violation is not None:
            raise ValidationFailed(violation)
        return cls(value, currency)

    def less_percent(self, percent: Decimal) -> Money:
        """This amount less `percent` %, rounded half up to the cent."""
        kept = self.amount * (100 - percent) / 100
        return Money(kept.quantize(CENT, rounding=ROUND_HALF_UP), self.currency)

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


def money_violation(amount: Decimal, currency: str, field: str) -> FieldViolation | None:
    prefix = f"{field}." if field else ""
    if not _CURRENCY.fullmatch(currency):
        return FieldViolation(
            f"{prefix}currency_code", "must be an ISO 4217 code of three capital letters"
        )
    if not amount.is_finite() or amount < 0:
        return FieldViolation(f"{prefix}amount", "must be a number of at least 0")
    if amount >= MAX_AMOUNT:
        return FieldViolation(f"{prefix}amount", f"must be less than {MAX_AMOUNT:,.0f}")
    if amount != amount.quantize(CENT):
        return FieldViolation(f"{prefix}amount", "must have at most 2 decimal places")
    return None


def decimal_of(value: str, field: str) -> Decimal | None:
    """A decimal a caller sent as text; None when empty."""
    if not value.strip():
        return None
    return required_decimal(value, field)


def required_decimal(value: str, field: str) -> Decimal:
    if not value.strip():
        raise ValidationFailed(FieldViolation(field, "is required"))
    try:
        number = Decimal(value.strip())
    except InvalidOperation:
        raise ValidationFailed(FieldViolation(field, "must be a decimal number")) from None
    if not number.is_finite():
        raise ValidationFailed(FieldViolation(field, "must be a finite number"))
    return number


def date_of(value: str, field: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(FieldViolation(field, "must be a date like 2026-12-31")) from None


def checked_text(value: str, field: str, max_length: int, *, required: bool = False) -> str:
    """`value` stripped, or ValidationFailed on `field` when blank but required or too long."""
    text = value.strip()
    if required and not text:
        raise ValidationFailed(FieldViolation(field, "is required"))
    if len(text) > max_length:
        raise ValidationFailed(FieldViolation(field, f"must be at most {max_length} characters"))
    return text


def validity_violation(
    valid_from: date | None, valid_until: date | None, field: str
) -> FieldViolation | None:
    if valid_from is not None and valid_until is not None and valid_until < valid_from:
        return FieldViolation(f"{field}valid_until", "must not be before valid_from")
    return None
