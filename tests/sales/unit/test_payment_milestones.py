"""Money, payment terms, the milestones a signed contract makes of them, and their payment."""

from __future__ import annotations

import copy
from datetime import date, timedelta
from decimal import Decimal

import pytest
from crm_platform.errors import FailedPrecondition, PermissionDenied, ValidationFailed
from crm_sales.domain import events
from crm_sales.domain.contracts import (
    DEFAULT_TERMS,
    Anchor,
    Milestone,
    PaymentTerms,
    TermKind,
    TermLine,
    accept,
    due_date,
    schedule,
)
from crm_sales.domain.orders import OrderState
from crm_sales.domain.values import Actor, Money

from tests.sales.unit.support import (
    ADMIN,
    CUSTOMER,
    FINANCE,
    MANAGER,
    NOW,
    REP,
    TOTAL,
    money,
    order_in,
)

SIGNED_ON = date(2025, 1, 31)
LATER = NOW + timedelta(days=90)


def fields_of(error: pytest.ExceptionInfo[ValidationFailed]) -> set[str]:
    return {v.field for v in error.value.violations}


def amounts(milestones: list[Milestone]) -> list[Money]:
    return [m.amount for m in milestones]


def total_of(milestones: list[Milestone], currency: str = "EUR") -> Money:
    total = Money.zero(currency)
    for milestone in milestones:
        total += milestone.amount
    return total


def line(
    kind: TermKind, value: str | None, anchor: Anchor = Anchor.SIGNING, **due: int
) -> TermLine:
    return TermLine(kind.value, kind, None if value is None else Decimal(value), anchor, **due)


# -- money ---------------------------------------------------------------------------------------


def test_money_is_kept_in_cents() -> None:
    assert money("5").amount == Decimal("5.00")
    assert str(money("5")) == "5.00 EUR"
    assert money("1.500") == money("1.5")
    assert money(Decimal("0.10")) + money("0.20") == money("0.30")
    assert money("1.00") - money("0.01") == money("0.99")
    assert Money.zero("USD") == Money.of("0", "USD")


@pytest.mark.parametrize(
    ("amount", "currency", "field"),
    [
        ("1.005", "EUR", "amount"),
        ("-0.01", "EUR", "amount"),
        ("NaN", "EUR", "amount"),
        ("Infinity", "EUR", "amount"),
        ("ten", "EUR", "amount"),
        ("1e15", "EUR", "amount"),
        ("1.00", "eur", "currency"),
        ("1.00", "EURO", "currency"),
    ],
)
def test_money_refuses_what_is_not_an_amount_of_a_currency(
    amount: str, currency: str, field: str
) -> None:
    with pytest.raises(ValidationFailed) as error:
        Money.of(amount, currency)
    assert fields_of(error) == {field}


def test_money_of_different_currencies_does_not_mix() -> None:
    with pytest.raises(ValueError, match="EUR with USD"):
        money("1.00") + Money.of("1.00", "USD")
    with pytest.raises(ValueError, match="EUR with USD"):
        money("1.00") - Money.of("1.00", "USD")


def test_money_is_never_negative() -> None:
    with pytest.raises(ValueError, match="negative"):
        money("1.00") - money("1.01")


@pytest.mark.parametrize(
    ("amount", "percent", "share"),
    [
        ("0.05", "10", "0.01"),  # 0.005 rounds up
        ("0.05", "25", "0.01"),  # 0.0125
        ("999.99", "55", "549.99"),  # 549.9945
        ("999.99", "25", "250.00"),  # 249.9975
        ("1000.00", "100", "1000.00"),
        ("10.00", "33.333", "3.33"),
    ],
)
def test_a_percentage_is_rounded_half_up_to_the_cent(amount: str, percent: str, share: str) -> None:
    assert money(amount).percent(Decimal(percent)) == money(share)


# -- terms ---------------------------------------------------------------------------------------


def test_the_default_terms() -> None:
    assert [(t.kind, t.value, t.anchor, t.days) for t in DEFAULT_TERMS.lines] == [
        (TermKind.PERCENT, Decimal(10), Anchor.SIGNING, 0),
        (TermKind.PERCENT, Decimal(25), Anchor.SIGNING, 30),
        (TermKind.PERCENT, Decimal(10), Anchor.SIGNING, 60),
        (TermKind.PERCENT, Decimal(55), Anchor.ACCEPTANCE, 0),
    ]


@pytest.mark.parametrize(
    ("lines", "field"),
    [
        ((), "terms.lines"),
        ((line(TermKind.BALANCE, None),) * 13, "terms.lines"),
        ((line(TermKind.BALANCE, None), line(TermKind.BALANCE, None)), "terms"),
        ((line(TermKind.PERCENT, "60"), line(TermKind.PERCENT, "50")), "terms"),
        ((line(TermKind.PERCENT, "60"), line(TermKind.PERCENT, "30")), "terms"),
        (
            (
                line(TermKind.PERCENT, "70"),
                line(TermKind.PERCENT, "40"),
                line(TermKind.BALANCE, None),
            ),
            "terms",
        ),
        ((line(TermKind.PERCENT, "0"), line(TermKind.BALANCE, None)), "terms.lines[0].value"),
        ((line(TermKind.PERCENT, "100.1"),), "terms.lines[0].value"),
        ((line(TermKind.PERCENT, None),), "terms.lines[0].value"),
        ((line(TermKind.FIXED, "10.005"), line(TermKind.BALANCE, None)), "terms.lines[0].value"),
        ((line(TermKind.FIXED, "0"), line(TermKind.BALANCE, None)), "terms.lines[0].value"),
        ((line(TermKind.FIXED, "10"), line(TermKind.BALANCE, "5")), "terms.lines[1].value"),
        ((line(TermKind.BALANCE, None, days=-1),), "terms.lines[0].days"),
        ((line(TermKind.BALANCE, None, months=121),), "terms.lines[0].months"),
        ((TermLine(" ", TermKind.BALANCE, None, Anchor.SIGNING),), "terms.lines[0].label"),
    ],
)
def test_terms_that_make_no_sense_are_refused(lines: tuple[TermLine, ...], field: str) -> None:
    with pytest.raises(ValidationFailed) as error:
        PaymentTerms("Custom", lines)
    assert fields_of(error) == {field}


def test_terms_need_a_name() -> None:
    with pytest.raises(ValidationFailed) as error:
        PaymentTerms(" ", (line(TermKind.BALANCE, None),))
    assert fields_of(error) == {"terms.name"}


def test_twelve_lines_are_the_most() -> None:
    lines = (*[line(TermKind.FIXED, "1.00")] * 11, line(TermKind.BALANCE, None))
    assert len(PaymentTerms("Monthly", lines).lines) == 12


# -- the schedule --------------------------------------------------------------------------------


def test_the_default_terms_on_a_thousand() -> None:
    milestones = schedule(DEFAULT_TERMS, TOTAL, SIGNED_ON)

    assert [m.number for m in milestones] == [1, 2, 3, 4]
    assert amounts(milestones) == [money("100"), money("250"), money("100"), money("550")]
    assert [m.due_date for m in milestones] == [
        SIGNED_ON,
        SIGNED_ON + timedelta(days=30),
        SIGNED_ON + timedelta(days=60),
        None,
    ]
    assert [m.label for m in milestones] == [t.label for t in DEFAULT_TERMS.lines]
    assert all(m.paid_at is None and m.reference is None for m in milestones)


@pytest.mark.parametrize(
    ("total", "expected"),
    [
        ("999.99", ["100.00", "250.00", "100.00", "549.99"]),
        ("0.05", ["0.01", "0.01", "0.01", "0.02"]),
        ("0.01", ["0.00", "0.00", "0.00", "0.01"]),
        ("33.33", ["3.33", "8.33", "3.33", "18.34"]),
    ],
)
def test_the_last_line_absorbs_the_rounding(total: str, expected: list[str]) -> None:
    milestones = schedule(DEFAULT_TERMS, money(total), SIGNED_ON)
    assert amounts(milestones) == [money(amount) for amount in expected]
    assert total_of(milestones) == money(total)


@pytest.mark.parametrize("total", ["0.01", "0.05", "0.99", "1.00", "7.77", "999.99", "123456.78"])
@pytest.mark.parametrize(
    "terms",
    [
        DEFAULT_TERMS,
        PaymentTerms(
            "Thirds", tuple(line(TermKind.PERCENT, p) for p in ("33.33", "33.33", "33.34"))
        ),
        PaymentTerms(
            "Deposit and balance",
            (line(TermKind.PERCENT, "33.333"), line(TermKind.BALANCE, None, Anchor.ACCEPTANCE)),
        ),
    ],
    ids=["default", "thirds", "balance"],
)
def test_the_milestones_add_up_to_the_total_exactly(terms: PaymentTerms, total: str) -> None:
    assert total_of(schedule(terms, money(total), SIGNED_ON)) == money(total)


def test_the_balance_line_takes_what_the_others_leave() -> None:
    terms = PaymentTerms(
        "Fixed deposit",
        (
            line(TermKind.FIXED, "100.00"),
            line(TermKind.BALANCE, None, Anchor.ACCEPTANCE, days=14),
            line(TermKind.PERCENT, "30", days=30),
        ),
    )

    assert amounts(schedule(terms, TOTAL, SIGNED_ON)) == [money("100"), money("600"), money("300")]


def test_fixed_and_percentage_lines_above_the_total_are_refused() -> None:
    terms = PaymentTerms(
        "Fixed deposit",
        (
            line(TermKind.FIXED, "800.00"),
            line(TermKind.PERCENT, "30"),
            line(TermKind.BALANCE, None),
        ),
    )
    with pytest.raises(ValidationFailed) as error:
        schedule(terms, TOTAL, SIGNED_ON)
    assert fields_of(error) == {"terms"}


def test_lines_without_a_balance_that_miss_the_total_are_refused() -> None:
    terms = PaymentTerms("Fixed", (line(TermKind.FIXED, "100.00"), line(TermKind.PERCENT, "50")))
    with pytest.raises(ValidationFailed) as error:
        schedule(terms, TOTAL, SIGNED_ON)
    assert fields_of(error) == {"terms"}
    # the same lines on the total they describe
    assert total_of(schedule(terms, money("200.00"), SIGNED_ON)) == money("200.00")


@pytest.mark.parametrize(
    ("anchor", "months", "days", "due"),
    [
        (date(2025, 1, 31), 1, 0, date(2025, 2, 28)),
        (date(2024, 1, 31), 1, 0, date(2024, 2, 29)),
        (date(2025, 1, 31), 1, 5, date(2025, 3, 5)),
        (date(2025, 3, 31), 1, 0, date(2025, 4, 30)),
        (date(2025, 11, 30), 3, 0, date(2026, 2, 28)),
        (date(2025, 12, 15), 13, 0, date(2027, 1, 15)),
        (date(2025, 1, 31), 0, 30, date(2025, 3, 2)),
    ],
)
def test_months_are_calendar_months_clamped_to_the_month_end(
    anchor: date, months: int, days: int, due: date
) -> None:
    assert due_date(anchor, months=months, days=days) == due


def test_a_line_due_a_month_after_signing_on_the_31st() -> None:
    terms = PaymentTerms(
        "Monthly", (line(TermKind.PERCENT, "50"), line(TermKind.PERCENT, "50", months=1))
    )
    assert [m.due_date for m in schedule(terms, TOTAL, SIGNED_ON)] == [
        SIGNED_ON,
        date(2025, 2, 28),
    ]


def test_acceptance_dates_the_milestones_anchored_on_it() -> None:
    terms = PaymentTerms(
        "Retention",
        (
            line(TermKind.PERCENT, "90"),
            line(TermKind.BALANCE, None, Anchor.ACCEPTANCE, months=1, days=1),
        ),
    )
    milestones = schedule(terms, TOTAL, SIGNED_ON)

    accept(milestones, date(2025, 3, 31))

    assert [m.due_date for m in milestones] == [SIGNED_ON, date(2025, 5, 1)]


def test_delivering_dates_the_acceptance_milestones() -> None:
    order = order_in(OrderState.IN_PRODUCTION)
    assert order.milestones[3].due_date is None

    order.deliver(REP, LATER)

    assert order.milestones[3].due_date == LATER.date()
    assert order.milestones[0].due_date == (NOW + timedelta(days=6)).date()  # signed on day 6


def test_a_milestone_is_overdue_once_its_due_date_has_passed_unpaid() -> None:
    [deposit, *_, on_acceptance] = schedule(DEFAULT_TERMS, TOTAL, SIGNED_ON)

    assert not deposit.is_overdue(SIGNED_ON)
    assert deposit.is_overdue(SIGNED_ON + timedelta(days=1))
    assert not on_acceptance.is_overdue(date(2099, 1, 1))  # not yet due: no date
    deposit.paid_at = NOW
    assert not deposit.is_overdue(SIGNED_ON + timedelta(days=1))


# -- payments ------------------------------------------------------------------------------------


def test_paying_every_milestone_pays_the_order_once() -> None:
    order = order_in(OrderState.DELIVERED)
    version = order.version

    for number in (2, 1, 4, 3):
        order.pay_milestone(FINANCE, LATER, number, f" TRX-{number} ")

    assert all(m.paid_at == LATER for m in order.milestones)
    assert [m.reference for m in order.milestones] == ["TRX-1", "TRX-2", "TRX-3", "TRX-4"]
    assert order.version == version + 4
    assert order.updated_at == LATER
    assert order.pull_events() == [
        events.PaymentMilestonePaid(
            order.id, version + 1, 2, money("250"), "TRX-2", FINANCE, order.customer_id
        ),
        events.PaymentMilestonePaid(
            order.id, version + 2, 1, money("100"), "TRX-1", FINANCE, order.customer_id
        ),
        events.PaymentMilestonePaid(
            order.id, version + 3, 4, money("550"), "TRX-4", FINANCE, order.customer_id
        ),
        events.PaymentMilestonePaid(
            order.id, version + 4, 3, money("100"), "TRX-3", FINANCE, order.customer_id
        ),
        events.OrderPaid(order.id, version + 4, order.customer_id, TOTAL, FINANCE),
    ]


def test_paying_a_milestone_twice_is_refused() -> None:
    order = order_in(OrderState.CONTRACT_SIGNED)
    order.pay_milestone(ADMIN, LATER, 1, "TRX-1")
    order.pull_events()
    before = copy.deepcopy(order)

    with pytest.raises(FailedPrecondition, match="already paid"):
        order.pay_milestone(ADMIN, LATER, 1, "TRX-1 again")

    assert order == before
    assert order.pull_events() == []


@pytest.mark.parametrize(
    ("state", "actor", "number", "reference", "refusal"),
    [
        (OrderState.CONTRACT_SIGNED, REP, 1, "TRX", PermissionDenied),
        (OrderState.CONTRACT_SIGNED, CUSTOMER, 1, "TRX", PermissionDenied),
        (OrderState.PRICED, FINANCE, 1, "TRX", FailedPrecondition),
        (OrderState.CANCELLED, FINANCE, 1, "TRX", FailedPrecondition),
        (OrderState.CONTRACT_SIGNED, FINANCE, 5, "TRX", FailedPrecondition),
        (OrderState.CONTRACT_SIGNED, FINANCE, 0, "TRX", FailedPrecondition),
        (OrderState.CONTRACT_SIGNED, FINANCE, 1, "  ", ValidationFailed),
        (OrderState.CONTRACT_SIGNED, FINANCE, 1, "r" * 201, ValidationFailed),
    ],
)
def test_a_refused_payment_changes_nothing(
    state: OrderState, actor: Actor, number: int, reference: str, refusal: type[Exception]
) -> None:
    order = order_in(state)
    before = copy.deepcopy(order)

    with pytest.raises(refusal):
        order.pay_milestone(actor, LATER, number, reference)

    assert order == before
    assert order.pull_events() == []


@pytest.mark.parametrize(
    "state",
    [
        OrderState.CONTRACT_SIGNED,
        OrderState.IN_PRODUCTION,
        OrderState.DELIVERED,
        OrderState.AFTER_SALES,
        OrderState.CLOSED,
    ],
)
def test_milestones_are_paid_in_any_state_after_signing(state: OrderState) -> None:
    order = order_in(state)
    order.pay_milestone(MANAGER, LATER, 1, "TRX-1")
    assert order.milestones[0].is_paid
    assert order.state is state


def test_milestones_of_an_uneven_total_pay_the_exact_total() -> None:
    order = order_in(OrderState.CONTRACT_SIGNED, price=(money("999.99"), DEFAULT_TERMS))
    for milestone in order.milestones:
        order.pay_milestone(FINANCE, LATER, milestone.number, "TRX")

    recorded = order.pull_events()
    paid = [e for e in recorded if isinstance(e, events.PaymentMilestonePaid)]
    order_paid = [e for e in recorded if isinstance(e, events.OrderPaid)]
    assert sum((e.amount.amount for e in paid), Decimal(0)) == Decimal("999.99")
    assert [e.total for e in order_paid] == [money("999.99")]
