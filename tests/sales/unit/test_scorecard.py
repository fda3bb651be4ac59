"""Periods, targets and a rep's scorecard computed from closed deals and activities (a fake of
the figures port): won per currency against the target, win rate, cycle length; who sees whose."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest
from crm_platform.errors import NotFound, PermissionDenied, ValidationFailed
from crm_sales.domain.targets import ClosedDeal, Period, PeriodKind, SalesTarget, scorecard
from crm_sales.service_layer.performance import PerformanceHandlers

from tests.sales.unit.support import ADMIN, FINANCE, MANAGER, NOW, REP, money

MARCH = Period.parse("2025-03")


def deal(won: bool, amount: str | None, days: float, currency: str = "EUR") -> ClosedDeal:
    closed = datetime(2025, 3, 20, tzinfo=UTC)
    return ClosedDeal(
        won=won,
        amount=None if amount is None else money(amount, currency),
        created_at=closed - timedelta(days=days),
        closed_at=closed,
    )


def target(amount: str = "10000.00", period: Period = MARCH) -> SalesTarget:
    return SalesTarget.set(
        id=uuid4(), rep_id=REP.subject, period=period, amount=money(amount), actor=ADMIN,
        manages_rep=False, now=NOW,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("text", "kind", "starts", "ends"),
    [
        ("2025-03", PeriodKind.MONTH, date(2025, 3, 1), date(2025, 3, 31)),
        ("2024-02", PeriodKind.MONTH, date(2024, 2, 1), date(2024, 2, 29)),
        ("2025-12", PeriodKind.MONTH, date(2025, 12, 1), date(2025, 12, 31)),
        ("2025-Q1", PeriodKind.QUARTER, date(2025, 1, 1), date(2025, 3, 31)),
        ("2025-Q4", PeriodKind.QUARTER, date(2025, 10, 1), date(2025, 12, 31)),
        ("9998-12", PeriodKind.MONTH, date(9998, 12, 1), date(9998, 12, 31)),
    ],
)
def test_a_period_is_a_calendar_month_or_quarter(
    text: str, kind: PeriodKind, starts: date, ends: date
) -> None:
    period = Period.parse(text)

    assert (period.kind, period.starts_on, period.ends_on, str(period)) == (
        kind,
        starts,
        ends,
        text,
    )
    assert period.end - period.start == timedelta(days=(ends - starts).days + 1)


@pytest.mark.parametrize(
    "text", ["2025-13", "2025-Q5", "2025-3", "March", "", "0000-01", "9999-Q4"]
)
def test_anything_else_is_not_a_period(text: str) -> None:
    with pytest.raises(ValidationFailed):
        Period.parse(text)


def test_won_amounts_against_the_target_and_the_rates() -> None:
    deals = [
        deal(True, "3000.00", 10),
        deal(True, "4500.50", 20.5),
        deal(True, "800.00", 30, "USD"),
        deal(False, "9999.00", 5),
        deal(True, None, 3),  # won without an amount: counts, adds nothing
    ]

    card = scorecard(REP.subject, MARCH, target(), deals, activities_done=17)

    eur, usd = card.won
    assert (eur.won, eur.target, eur.attainment_percent) == (
        money("7500.50"), money("10000.00"), Decimal("75.01"),
    )  # fmt: skip
    assert (usd.won, usd.target, usd.attainment_percent) == (money("800.00", "USD"), None, None)
    assert (card.won_count, card.lost_count) == (4, 1)
    assert card.win_rate_percent == Decimal("80.00")
    assert card.average_cycle_days == Decimal("15.9")  # (10 + 20.5 + 30 + 3) / 4 = 15.875
    assert card.activities_done == 17


def test_a_period_with_nothing_closed_has_no_rates_and_shows_the_target() -> None:
    card = scorecard(REP.subject, MARCH, target(), [], activities_done=0)

    (eur,) = card.won
    assert (eur.won, eur.attainment_percent) == (money("0.00"), Decimal("0.00"))
    assert (card.win_rate_percent, card.average_cycle_days) == (None, None)


def test_without_a_target_the_won_amounts_stand_alone() -> None:
    card = scorecard(REP.subject, MARCH, None, [deal(False, "10.00", 1)], activities_done=2)

    assert card.won == ()
    assert card.win_rate_percent == Decimal("0.00")


def test_only_a_manager_of_the_rep_or_an_admin_sets_targets() -> None:
    with pytest.raises(PermissionDenied):
        SalesTarget.set(
            id=uuid4(), rep_id=REP.subject, period=MARCH, amount=money("1.00"), actor=MANAGER,
            manages_rep=False, now=NOW,
        )  # fmt: skip
    with pytest.raises(PermissionDenied):
        SalesTarget.set(
            id=uuid4(), rep_id="rep-2", period=MARCH, amount=money("1.00"), actor=REP,
            manages_rep=True, now=NOW,
        )  # fmt: skip
    with pytest.raises(ValidationFailed):
        target("0.00")


# -- the handlers over fakes ----------------------------------------------------------------------


class FakeTargets:
    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], SalesTarget] = {}

    def get(self, rep_id: str, period: Period) -> SalesTarget | None:
        return self.rows.get((rep_id, str(period)))

    def add(self, target: SalesTarget) -> None:
        self.rows[(target.rep_id, str(target.period))] = target

    save = add

    def list(
        self, rep_ids: Collection[str] | None, rep_id: str | None, period: Period | None
    ) -> list[SalesTarget]:
        return [
            t
            for t in self.rows.values()
            if (rep_ids is None or t.rep_id in rep_ids)
            and rep_id in (None, t.rep_id)
            and (period is None or t.period == period)
        ]


class FakeFigures:
    def __init__(self) -> None:
        self.asked: list[tuple[str, datetime, datetime]] = []

    def closed_deals(self, rep_id: str, start: datetime, end: datetime) -> list[ClosedDeal]:
        self.asked.append((rep_id, start, end))
        return [deal(True, "2500.00", 7)]

    def activities_done(self, rep_id: str, start: datetime, end: datetime) -> int:
        return 4


class Managing:
    def managed_by(self, manager: str) -> frozenset[str]:
        return frozenset({REP.subject}) if manager == MANAGER.subject else frozenset()


class FakeUnitOfWork:
    def __init__(self) -> None:
        self.sales_targets = FakeTargets()
        self.performance = FakeFigures()
        self.managed_staff = Managing()

    def __enter__(self) -> FakeUnitOfWork:
        return self

    def __exit__(self, *args: object) -> None:
        return None

    def commit(self) -> None:
        return None

    def rollback(self) -> None:
        return None


def handlers() -> tuple[PerformanceHandlers, FakeUnitOfWork]:
    uow = FakeUnitOfWork()
    return PerformanceHandlers(lambda: uow, clock=lambda: NOW), uow  # type: ignore[arg-type, return-value]


def test_the_scorecard_asks_the_figures_of_the_period() -> None:
    performance, uow = handlers()
    performance.set_target(MANAGER, REP.subject, MARCH, money("5000.00"))

    card = performance.scorecard(REP, REP.subject, MARCH)

    assert uow.performance.asked == [(REP.subject, MARCH.start, MARCH.end)]
    assert card.won[0].attainment_percent == Decimal("50.00")
    assert card.activities_done == 4


def test_setting_a_target_again_replaces_it() -> None:
    performance, _uow = handlers()
    performance.set_target(MANAGER, REP.subject, MARCH, money("5000.00"))

    changed = performance.set_target(ADMIN, REP.subject, MARCH, money("6000.00"))

    assert (changed.amount, changed.version, changed.set_by) == (money("6000.00"), 2, "admin-1")
    assert len(performance.list_targets(ADMIN, None, None)) == 1


@pytest.mark.parametrize(
    ("viewer", "rep", "sees"),
    [
        (REP, REP.subject, True),
        (REP, "rep-2", False),
        (MANAGER, REP.subject, True),
        (MANAGER, "rep-2", False),
        (FINANCE, "rep-2", True),
        (ADMIN, "rep-2", True),
    ],
)
def test_who_sees_whose_scorecard(viewer: object, rep: str, sees: bool) -> None:
    performance, _uow = handlers()

    if sees:
        assert performance.scorecard(viewer, rep, MARCH).rep_id == rep  # type: ignore[arg-type]
    else:
        with pytest.raises(NotFound):
            performance.scorecard(viewer, rep, MARCH)  # type: ignore[arg-type]
