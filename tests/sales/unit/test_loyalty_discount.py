"""Loyalty points off an order's price: once, on a priced order before either side signs, by
staff or the order's customer, less than the price and in its currency; the milestones and the
total paid are the amount due after it. The handler asks the customer service first and passes
on its refusal, changing nothing."""

from __future__ import annotations

import copy
from typing import Any, Self
from uuid import UUID

import pytest
from crm_platform.errors import FailedPrecondition, PermissionDenied, ValidationFailed
from crm_sales.domain import events
from crm_sales.domain.orders import LoyaltyDiscount, Order, OrderState
from crm_sales.domain.values import Money
from crm_sales.service_layer.handlers import OrderHandlers
from crm_sales.service_layer.ports import CustomerStanding

from tests.sales.unit.support import (
    CUSTOMER,
    FINANCE,
    NOW,
    OTHER_CUSTOMER,
    REP,
    TOTAL,
    money,
    order_in,
)


def test_points_come_off_the_price_and_the_milestones_ask_for_the_rest() -> None:
    order = order_in(OrderState.PRICED)
    version = order.version

    order.discount(CUSTOMER, NOW, 2345, money("234.50"))
    order.sign_contract(CUSTOMER, NOW)
    order.sign_contract(REP, NOW)
    for milestone in order.milestones:
        order.pay_milestone(FINANCE, NOW, milestone.number, "TRX")

    recorded = order.pull_events()
    assert order.loyalty_discount == LoyaltyDiscount(2345, money("234.50"))
    assert (order.amount, order.amount_due) == (TOTAL, money("765.50"))
    assert (
        sum((m.amount.amount for m in order.milestones), money("0").amount)
        == money("765.50").amount
    )
    discounted = [e for e in recorded if isinstance(e, events.OrderDiscounted)]
    assert [(e.points, e.discount, e.version) for e in discounted] == [
        (2345, money("234.50"), version + 1)
    ]
    assert [e.total for e in recorded if isinstance(e, events.OrderPaid)] == [money("765.50")]


@pytest.mark.parametrize(
    ("state", "signed"),
    [(OrderState.PROPOSAL_APPROVED, False), (OrderState.PRICED, True),
     (OrderState.CONTRACT_SIGNED, False)],
)  # fmt: skip
def test_points_come_off_only_a_priced_order_before_anyone_signs(
    state: OrderState, signed: bool
) -> None:
    order = order_in(state)
    if signed:
        order.sign_contract(CUSTOMER, NOW)
    before = copy.deepcopy(order)

    with pytest.raises(FailedPrecondition):
        order.discount(REP, NOW, 100, money("10"))
    assert order == before


def test_a_second_redemption_another_currency_or_the_whole_price_is_refused() -> None:
    order = order_in(OrderState.PRICED)
    before = copy.deepcopy(order)

    with pytest.raises(FailedPrecondition, match="in CNY"):
        order.discount(REP, NOW, 100, Money.of("10", "CNY"))
    with pytest.raises(ValidationFailed) as whole:
        order.discount(REP, NOW, 10000, money("1000"))
    assert order == before
    assert [v.field for v in whole.value.violations] == ["points"]

    order.discount(REP, NOW, 100, money("10"))
    with pytest.raises(FailedPrecondition, match="already"):
        order.discount(REP, NOW, 100, money("10"))


def test_another_customer_may_not_spend_points_on_the_order() -> None:
    order = order_in(OrderState.PRICED)

    with pytest.raises(PermissionDenied):
        order.check_discountable(OTHER_CUSTOMER)


class LoyaltyCustomers:
    """The customer service: its standing for every customer, and redemptions it made."""

    def __init__(self, refusal: Exception | None = None) -> None:
        self.refusal = refusal
        self.redeemed: list[tuple[UUID, UUID, int, str]] = []

    def standing(self, customer_id: UUID) -> CustomerStanding:
        return CustomerStanding.ACTIVE

    def redeem_points(self, customer_id: UUID, order_id: UUID, points: int, currency: str) -> Money:
        if self.refusal is not None:
            raise self.refusal
        self.redeemed.append((customer_id, order_id, points, currency))
        return Money.of(f"{points / 10:.2f}", currency)


class Teams:
    def colleagues_of(self, subject: str) -> frozenset[str]:
        return frozenset()


class OrderStore:
    """The orders table: a copy of each order as last committed."""

    def __init__(self, order: Order) -> None:
        self.committed = {order.id: copy.deepcopy(order)}

    def stored(self, order_id: UUID) -> Order:
        return self.committed[order_id]


class OrdersUnitOfWork:
    """One transaction on the store: what it saved counts once committed."""

    def __init__(self, store: OrderStore) -> None:
        self.store = store
        self.teams = Teams()

    def __enter__(self) -> Self:
        self.saved: dict[UUID, Order] = {}
        self.orders = self
        return self

    def __exit__(self, *exc: Any) -> None:
        self.saved = {}

    def get(self, order_id: UUID) -> Order | None:
        found = self.store.committed.get(order_id)
        return None if found is None else copy.deepcopy(found)

    def save(self, order: Order) -> None:
        self.saved[order.id] = copy.deepcopy(order)

    def commit(self) -> None:
        self.store.committed.update(self.saved)


def handlers_with(order: Order, customers: LoyaltyCustomers) -> tuple[OrderHandlers, OrderStore]:
    store = OrderStore(order)
    return OrderHandlers(lambda: OrdersUnitOfWork(store), customers, clock=lambda: NOW), store


def test_the_handler_redeems_at_the_customer_service_then_discounts() -> None:
    order = order_in(OrderState.PRICED)
    customers = LoyaltyCustomers()
    handlers, store = handlers_with(order, customers)

    discounted = handlers.redeem_points(CUSTOMER, order.id, order.version, 500)

    assert customers.redeemed == [(order.customer_id, order.id, 500, "EUR")]
    assert discounted.amount_due == money("950.00")
    assert store.stored(order.id).loyalty_discount == LoyaltyDiscount(500, money("50.00"))


def test_a_refusal_of_the_customer_service_changes_nothing() -> None:
    order = order_in(OrderState.PRICED)
    customers = LoyaltyCustomers(FailedPrecondition("customer has 12 points, not 500"))
    handlers, store = handlers_with(order, customers)

    with pytest.raises(FailedPrecondition, match="12 points"):
        handlers.redeem_points(CUSTOMER, order.id, order.version, 500)
    assert store.stored(order.id) == order


def test_a_signed_order_is_refused_before_the_customer_service_is_asked() -> None:
    order = order_in(OrderState.CONTRACT_SIGNED)
    customers = LoyaltyCustomers()
    handlers, _store = handlers_with(order, customers)

    with pytest.raises(FailedPrecondition):
        handlers.redeem_points(REP, order.id, 0, 500)
    assert customers.redeemed == []
