"""Sales targets and a rep's scorecard.

A target is an amount a rep should win in a calendar month ("2025-03") or quarter
("2025-Q1"). The scorecard of a period sets what the rep won (the amounts of the opportunities
won with their close in the period, per currency) against the target, with the win rate of
the deals closed in the period, the average days from opening to winning, and the activities
done in it. Pure Python; times are UTC.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from uuid import UUID

from crm_platform.errors import FieldViolation, PermissionDenied, ValidationFailed

from crm_sales.domain.values import Actor, Money

_PERIOD = re.compile(r"(\d{4})-(?:(0[1-9]|1[0-2])|Q([1-4]))")
# years a date can hold, the period's next start included
MIN_YEAR, MAX_YEAR = 1, 9998
PERCENT_PLACES = Decimal("0.01")
DAY_PLACES = Decimal("0.1")
SECONDS_A_DAY = Decimal(86400)


class PeriodKind(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"


@dataclass(frozen=True)
class Period:
    kind: PeriodKind
    year: int
    number: int  # the month 1..12 or the quarter 1..4

    @classmethod
    def parse(cls, text: str, field: str = "period") -> Period:
        match = _PERIOD.fullmatch(text.strip())
        if match is None:
            raise ValidationFailed(
                FieldViolation(field, "must be a month like 2025-03 or a quarter like 2025-Q1")
            )
        year, month, quarter = match.groups()
        if not MIN_YEAR <= int(year) <= MAX_YEAR:
            raise ValidationFailed(
                FieldViolation(field, f"must be a year from {MIN_YEAR} to {MAX_YEAR}")
            )
        if month is not None:
            return cls(PeriodKind.MONTH, int(year), int(month))
        return cls(PeriodKind.QUARTER, int(year), int(quarter))

    @property
    def starts_on(self) -> date:
        month = self.number if self.kind is PeriodKind.MONTH else 3 * self.number - 2
        return date(self.year, month, 1)

    @property
    def ends_on(self) -> date:
        """Its last day."""
        return self._next_start - timedelta(days=1)

    @property
    def start(self) -> datetime:
        return datetime.combine(self.starts_on, time(), tzinfo=UTC)

    @property
    def end(self) -> datetime:
        """The moment after it (exclusive)."""
        return datetime.combine(self._next_start, time(), tzinfo=UTC)

    @property
    def _next_start(self) -> date:
        months = 1 if self.kind is PeriodKind.MONTH else 3
        first = self.starts_on
        month = first.month + months
        return date(first.year + (month - 1) // 12, (month - 1) % 12 + 1, 1)

    def __str__(self) -> str:
        if self.kind is PeriodKind.MONTH:
            return f"{self.year:04d}-{self.number:02d}"
        return f"{self.year:04d}-Q{self.number}"


@dataclass
class SalesTarget:
    id: UUID
    rep_id: str
    period: Period
    amount: Money
    set_by: str
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def set(
        cls,
        *,
        id: UUID,
        rep_id: str,
        period: Period,
        amount: Money,
        actor: Actor,
        manages_rep: bool,
        now: datetime,
    ) -> SalesTarget:
        """A manager sets the targets of the reps of the teams they manage; an admin anyone's."""
        _may_set(actor, rep_id, manages_rep)
        _positive(amount)
        return cls(id, rep_id.strip(), period, amount, actor.subject, 1, now, now)

    def change(self, amount: Money, actor: Actor, *, manages_rep: bool, now: datetime) -> None:
        _may_set(actor, self.rep_id, manages_rep)
        _positive(amount)
        self.amount, self.set_by = amount, actor.subject
        self.version += 1
        self.updated_at = now


def _may_set(actor: Actor, rep_id: str, manages_rep: bool) -> None:
    is_admin = actor.is_manager and "admin" in actor.roles
    if not (is_admin or (actor.is_manager and manages_rep)):
        raise PermissionDenied(f"{actor.subject!r} does not manage {rep_id!r}")


def _positive(amount: Money) -> None:
    if amount.amount <= 0:
        raise ValidationFailed(FieldViolation("amount.amount", "must be above 0"))


# -- the scorecard --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClosedDeal:
    """An opportunity of the rep's closed in the period."""

    won: bool
    amount: Money | None  # an opportunity may be closed without an amount
    created_at: datetime
    closed_at: datetime


@dataclass(frozen=True)
class WonAmount:
    won: Money
    target: Money | None
    attainment_percent: Decimal | None  # won / target x 100, 2 places


@dataclass(frozen=True)
class Scorecard:
    rep_id: str
    period: Period
    won: tuple[WonAmount, ...]  # the target's currency first, then the others by code
    won_count: int
    lost_count: int
    win_rate_percent: Decimal | None  # None: nothing closed
    average_cycle_days: Decimal | None  # None: nothing won
    activities_done: int


def scorecard(
    rep_id: str,
    period: Period,
    target: SalesTarget | None,
    deals: Sequence[ClosedDeal],
    activities_done: int,
) -> Scorecard:
    won = [deal for deal in deals if deal.won]
    lost = len(deals) - len(won)
    sums: dict[str, Money] = {}
    for deal in won:
        if deal.amount is not None:
            currency = deal.amount.currency
            sums[currency] = sums.get(currency, Money.zero(currency)) + deal.amount
    if target is not None:
        sums.setdefault(target.amount.currency, Money.zero(target.amount.currency))
    target_currency = None if target is None else target.amount.currency
    amounts = tuple(
        _against(sums[currency], target)
        for currency in sorted(sums, key=lambda code: (code != target_currency, code))
    )
    cycles = [
        Decimal((deal.closed_at - deal.created_at).total_seconds()) / SECONDS_A_DAY for deal in won
    ]
    return Scorecard(
        rep_id=rep_id,
        period=period,
        won=amounts,
        won_count=len(won),
        lost_count=lost,
        win_rate_percent=_percent(Decimal(len(won)), Decimal(len(deals))) if deals else None,
        average_cycle_days=(sum(cycles, Decimal(0)) / len(cycles)).quantize(
            DAY_PLACES, rounding=ROUND_HALF_UP
        )
        if cycles
        else None,
        activities_done=activities_done,
    )


def _against(won: Money, target: SalesTarget | None) -> WonAmount:
    if target is None or target.amount.currency != won.currency:
        return WonAmount(won, None, None)
    return WonAmount(won, target.amount, _percent(won.amount, target.amount.amount))


def _percent(part: Decimal, whole: Decimal) -> Decimal:
    return (part * 100 / whole).quantize(PERCENT_PLACES, rounding=ROUND_HALF_UP)
