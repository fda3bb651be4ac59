"""Payment terms and the milestones a signed contract makes of them.

Terms are lines of a percentage of the total, a fixed amount, or the balance (what the other
lines leave), each due some months and days after the contract is signed or after the customer
accepts the delivery. Signing turns them into numbered milestones whose amounts add up to the
order's total to the cent; a milestone anchored on acceptance gets its due date on delivery.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from crm_platform.errors import FieldViolation, ValidationFailed

from crm_sales.domain.values import CENT, Money

MAX_LINES = 12
NAME_MAX_LENGTH = 100
LABEL_MAX_LENGTH = 100
MAX_DAYS = 3650
MAX_MONTHS = 120
_FIELD = "terms"


class TermKind(StrEnum):
    PERCENT = "percent"
    FIXED = "fixed"
    BALANCE = "balance"


class Anchor(StrEnum):
    SIGNING = "signing"
    ACCEPTANCE = "acceptance"


@dataclass(frozen=True)
class TermLine:
    label: str
    kind: TermKind
    value: Decimal | None  # percent (0 < p <= 100) or fixed amount (> 0); None for the balance
    anchor: Anchor
    days: int = 0
    months: int = 0  # calendar months, applied before the days


@dataclass(frozen=True)
class PaymentTerms:
    """Validated on construction: an instance is always a usable set of terms."""

    name: str
    lines: tuple[TermLine, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "lines", tuple(self.lines))
        self.validate()

    def validate(self) -> None:
        violations: list[FieldViolation] = []
        if not self.name.strip():
            violations.append(FieldViolation(f"{_FIELD}.name", "is required"))
        elif len(self.name) > NAME_MAX_LENGTH:
            violations.append(
                FieldViolation(f"{_FIELD}.name", f"must be at most {NAME_MAX_LENGTH} characters")
            )
        if not 1 <= len(self.lines) <= MAX_LINES:
            violations.append(
                FieldViolation(f"{_FIELD}.lines", f"must have 1 to {MAX_LINES} lines")
            )
        for index, line in enumerate(self.lines):
            violations.extend(_line_violations(line, f"{_FIELD}.lines[{index}]"))
        if not violations:
            violations.extend(self._whole_violations())
        if violations:
            raise ValidationFailed(violations)

    def _whole_violations(self) -> list[FieldViolation]:
        kinds = [line.kind for line in self.lines]
        percents = sum(
            (line.value for line in self.lines if line.kind is TermKind.PERCENT and line.value),
            Decimal(0),
        )
        if kinds.count(TermKind.BALANCE) > 1:
            return [FieldViolation(_FIELD, "may have at most one balance line")]
        if percents > 100:
            return [FieldViolation(_FIELD, f"the percentages add up to {percents}, over 100")]
        if all(kind is TermKind.PERCENT for kind in kinds) and percents != 100:
            return [
                FieldViolation(
                    _FIELD, f"the percentages add up to {percents}, not 100: add a balance line"
                )
            ]
        return []


def _line_violations(line: TermLine, path: str) -> list[FieldViolation]:
    violations: list[FieldViolation] = []
    if not line.label.strip():
        violations.append(FieldViolation(f"{path}.label", "is required"))
    elif len(line.label) > LABEL_MAX_LENGTH:
        violations.append(
            FieldViolation(f"{path}.label", f"must be at most {LABEL_MAX_LENGTH} characters")
        )
    value, value_path = line.value, f"{path}.value"
    if line.kind is TermKind.BALANCE:
        if value is not None:
            violations.append(FieldViolation(value_path, "a balance line takes no value"))
    elif value is None or not value.is_finite():
        violations.append(FieldViolation(value_path, "is required"))
    elif line.kind is TermKind.PERCENT and not 0 < value <= 100:
        violations.append(
            FieldViolation(value_path, "a percentage must be above 0 and at most 100")
        )
    elif line.kind is TermKind.FIXED and not (value > 0 and value == value.quantize(CENT)):
        violations.append(
            FieldViolation(value_path, "a fixed amount must be above 0, in whole cents")
        )
    if not 0 <= line.days <= MAX_DAYS:
        violations.append(FieldViolation(f"{path}.days", f"must be 0 to {MAX_DAYS}"))
    if not 0 <= line.months <= MAX_MONTHS:
        violations.append(FieldViolation(f"{path}.months", f"must be 0 to {MAX_MONTHS}"))
    return violations


DEFAULT_TERMS = PaymentTerms(
    name="Standard",
    lines=(
        TermLine("Deposit on signing", TermKind.PERCENT, Decimal(10), Anchor.SIGNING),
        TermLine("30 days after signing", TermKind.PERCENT, Decimal(25), Anchor.SIGNING, days=30),
        TermLine("60 days after signing", TermKind.PERCENT, Decimal(10), Anchor.SIGNING, days=60),
        TermLine("On acceptance", TermKind.PERCENT, Decimal(55), Anchor.ACCEPTANCE),
    ),
)


@dataclass
class Milestone:
    number: int  # 1-based, in the order of the terms' lines
    label: str
    amount: Money
    anchor: Anchor
    days: int
    months: int
    due_date: date | None  # None until its anchor's date is known (acceptance)
    paid_at: datetime | None
    reference: str | None  # the payment's reference (bank transfer, receipt)

    @property
    def is_paid(self) -> bool:
        return self.paid_at is not None

    def is_overdue(self, today: date) -> bool:
        return not self.is_paid and self.due_date is not None and self.due_date < today


def schedule(terms: PaymentTerms, total: Money, signed_on: date) -> list[Milestone]:
    """The milestones of `terms` on `total`, for a contract signed on `signed_on`.

    Percentages are rounded half up to the cent; the balance line takes what the others leave,
    and without one the last percentage line absorbs the rounding, so the amounts add up to
    the total exactly. Lines that cannot add up to the total are a ValidationFailed on "terms".
    """
    known = [_line_amount(line, total) for line in terms.lines]  # None for the balance line
    remainder = total.amount - sum((amount for amount in known if amount is not None), Decimal(0))
    amounts = [remainder if amount is None else amount for amount in known]
    if remainder and TermKind.BALANCE not in (line.kind for line in terms.lines):
        absorbing = _last_percent_line(terms)
        percent_lines = sum(line.kind is TermKind.PERCENT for line in terms.lines)
        # Each percentage is off by at most half a cent: more means the lines miss the total.
        if absorbing is None or abs(remainder) > CENT / 2 * percent_lines:
            raise ValidationFailed(
                FieldViolation(
                    _FIELD, f"the lines do not add up to the total {total}: add a balance line"
                )
            )
        amounts[absorbing] += remainder
    if any(amount < 0 for amount in amounts):
        raise ValidationFailed(
            FieldViolation(_FIELD, f"the fixed and percentage lines come to more than {total}")
        )
    return [
        Milestone(
            number=number,
            label=line.label.strip(),
            amount=Money(amount, total.currency),
            anchor=line.anchor,
            days=line.days,
            months=line.months,
            due_date=(
                due_date(signed_on, months=line.months, days=line.days)
                if line.anchor is Anchor.SIGNING
                else None
            ),
            paid_at=None,
            reference=None,
        )
        for number, (line, amount) in enumerate(zip(terms.lines, amounts, strict=True), start=1)
    ]


def accept(milestones: list[Milestone], accepted_on: date) -> None:
    """The customer accepted the delivery on `accepted_on`: date the milestones anchored on it."""
    for milestone in milestones:
        if milestone.anchor is Anchor.ACCEPTANCE:
            milestone.due_date = due_date(accepted_on, months=milestone.months, days=milestone.days)


def due_date(anchor_date: date, *, months: int, days: int) -> date:
    """`months` calendar months after `anchor_date` (the day clamped to the month's end), then
    `days` days: 31 January plus one month is the last day of February."""
    month_index = anchor_date.month - 1 + months
    year, month = anchor_date.year + month_index // 12, month_index % 12 + 1
    day = min(anchor_date.day, calendar.monthrange(year, month)[1])
    return date(year, month, day) + timedelta(days=days)


def _line_amount(line: TermLine, total: Money) -> Decimal | None:
    if line.kind is TermKind.PERCENT and line.value is not None:
        return total.percent(line.value).amount
    if line.kind is TermKind.FIXED and line.value is not None:
        return line.value
    return None  # the balance, known once the others are


def _last_percent_line(terms: PaymentTerms) -> int | None:
    indexes = [i for i, line in enumerate(terms.lines) if line.kind is TermKind.PERCENT]
    return indexes[-1] if indexes else None
