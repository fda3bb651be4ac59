"""A customer's orders, payments and interactions summed up."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from crm_analytics.domain.orders import Interaction, Money, OrderFacts, Payment, summarize

T1 = datetime(2026, 1, 1, tzinfo=UTC)
T2 = datetime(2026, 2, 1, tzinfo=UTC)
T3 = datetime(2026, 3, 1, tzinfo=UTC)


def order(order_id: str, state: str, at: datetime) -> OrderFacts:
    return OrderFacts(order_id, "c", state, Money(Decimal("100.00"), "CNY"), at, 1)


def paid(order_id: str, number: int, amount: str, currency: str = "CNY") -> Payment:
    return Payment(order_id, number, "c", Money(Decimal(amount), currency), T2)


def test_cancelled_orders_do_not_count_and_sums_keep_their_currency() -> None:
    value = summarize(
        "c",
        [order("a", "placed", T2), order("b", "cancelled", T3), order("d", "closed", T1)],
        [paid("a", 1, "10.10"), paid("a", 2, "0.20"), paid("d", 1, "5", "USD")],
        [Interaction("i", "c", "email", T3)],
    )

    assert (value.orders, value.first_order_at, value.last_order_at) == (2, T1, T2)
    assert value.paid == (Money(Decimal("10.30"), "CNY"), Money(Decimal("5"), "USD"))
    assert value.paid_in_reporting == Decimal("10.30")
    assert (value.interactions, value.last_interaction_at) == (1, T3)


def test_no_history_is_zero() -> None:
    value = summarize("c", [], [], [])

    assert (value.orders, value.last_order_at, value.paid, value.paid_in_reporting) == (
        0, None, (), Decimal(0),
    )  # fmt: skip


def test_an_order_replaces_only_an_older_version() -> None:
    kept = order("a", "placed", T1)

    assert order("a", "confirmed", T1).newer_than(None)
    assert not kept.newer_than(kept)
    assert OrderFacts("a", "c", "confirmed", None, T1, 2).newer_than(kept)
