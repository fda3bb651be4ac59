"""Actors and orders in every state of the workflow, for the sales domain's tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

from crm_sales.domain.contracts import DEFAULT_TERMS, PaymentTerms
from crm_sales.domain.orders import Order, OrderState, OrderStep
from crm_sales.domain.values import Actor, ActorKind, Money

NOW = datetime(2025, 1, 31, 9, 0, tzinfo=UTC)
CUSTOMER_ID = UUID("00000000-0000-4000-8000-000000000001")

REP = Actor("rep-1", ActorKind.STAFF, frozenset({"sales_rep"}))
MANAGER = Actor("manager-1", ActorKind.STAFF, frozenset({"manager"}))
ADMIN = Actor("admin-1", ActorKind.STAFF, frozenset({"admin"}))
FINANCE = Actor("finance-1", ActorKind.STAFF, frozenset({"finance"}))
CUSTOMER = Actor("customer-1", ActorKind.CUSTOMER, customer_id=CUSTOMER_ID)
OTHER_CUSTOMER = Actor("customer-2", ActorKind.CUSTOMER, customer_id=uuid4())
PARTNER = Actor("partner-1", ActorKind.PARTNER)
SERVICE = Actor("billing", ActorKind.SERVICE)
SYSTEM = Actor("system", ActorKind.SYSTEM)

ACTORS = {
    "sales_rep": REP,
    "manager": MANAGER,
    "admin": ADMIN,
    "finance": FINANCE,
    "customer": CUSTOMER,
    "other_customer": OTHER_CUSTOMER,
    "partner": PARTNER,
    "service": SERVICE,
    "system": SYSTEM,
}

TOTAL = Money.of("1000.00", "EUR")

# Each step with valid input, so that only the actor and the state decide whether it is taken.
TAKE: dict[OrderStep, Callable[[Order, Actor, datetime], None]] = {
    OrderStep.CONFIRM: lambda order, actor, now: order.confirm(actor, now),
    OrderStep.SEND_PROPOSAL: lambda order, actor, now: order.send_proposal(
        actor, now, "A walnut dining table for eight, oiled finish."
    ),
    OrderStep.REQUEST_REVISION: lambda order, actor, now: order.request_revision(
        actor, now, "Could it seat ten?"
    ),
    OrderStep.APPROVE_PROPOSAL: lambda order, actor, now: order.approve_proposal(actor, now),
    OrderStep.PRICE: lambda order, actor, now: order.price(actor, now, TOTAL, DEFAULT_TERMS),
    OrderStep.SIGN_CONTRACT: lambda order, actor, now: order.sign_contract(actor, now),
    OrderStep.START_PRODUCTION: lambda order, actor, now: order.start_production(actor, now),
    OrderStep.DELIVER: lambda order, actor, now: order.deliver(actor, now),
    OrderStep.START_AFTER_SALES: lambda order, actor, now: order.start_after_sales(actor, now),
    OrderStep.CLOSE: lambda order, actor, now: order.close(actor, now),
    OrderStep.CANCEL: lambda order, actor, now: order.cancel(actor, now, "Found another maker"),
}

_S, _T = OrderState, OrderStep
_TO_PRICED = [
    (_T.CONFIRM, REP),
    (_T.SEND_PROPOSAL, REP),
    (_T.APPROVE_PROPOSAL, CUSTOMER),
    (_T.PRICE, MANAGER),
]
_TO_SIGNED = [*_TO_PRICED, (_T.SIGN_CONTRACT, CUSTOMER), (_T.SIGN_CONTRACT, REP)]
_TO_PRODUCTION = [*_TO_SIGNED, (_T.START_PRODUCTION, REP)]
_TO_DELIVERED = [*_TO_PRODUCTION, (_T.DELIVER, REP)]
# The steps that bring a new order to each state.
PATHS: dict[OrderState, list[tuple[OrderStep, Actor]]] = {
    _S.PLACED: [],
    _S.CONFIRMED: _TO_PRICED[:1],
    _S.PROPOSAL_SENT: _TO_PRICED[:2],
    _S.REVISION_REQUESTED: [*_TO_PRICED[:2], (_T.REQUEST_REVISION, CUSTOMER)],
    _S.PROPOSAL_APPROVED: _TO_PRICED[:3],
    _S.PRICED: _TO_PRICED,
    _S.CONTRACT_SIGNED: _TO_SIGNED,
    _S.IN_PRODUCTION: _TO_PRODUCTION,
    _S.DELIVERED: _TO_DELIVERED,
    _S.AFTER_SALES: [*_TO_DELIVERED, (_T.START_AFTER_SALES, REP)],
    _S.CLOSED: [*_TO_DELIVERED, (_T.CLOSE, MANAGER)],
    _S.CANCELLED: [(_T.CANCEL, CUSTOMER)],
}


def place(*, now: datetime = NOW, actor: Actor = REP) -> Order:
    return Order.place(
        id=uuid4(),
        customer_id=CUSTOMER_ID,
        title="Dining table",
        description="Walnut, for eight",
        owner_id=REP.subject,
        actor=actor,
        now=now,
    )


def order_in(
    state: OrderState,
    *,
    now: datetime = NOW,
    every: timedelta = timedelta(days=1),
    price: tuple[Money, PaymentTerms] | None = None,
) -> Order:
    """A new order walked to `state`, one step every `every` from `now`, its events pulled."""
    order = place(now=now)
    for number, (step, actor) in enumerate(PATHS[state], start=1):
        at = now + number * every
        if step is OrderStep.PRICE and price is not None:
            order.price(actor, at, *price)
        else:
            TAKE[step](order, actor, at)
    order.pull_events()
    return order


def money(amount: str | Decimal, currency: str = "EUR") -> Money:
    return Money.of(amount, currency)
