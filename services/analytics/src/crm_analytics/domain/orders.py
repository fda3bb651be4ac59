"""What sales' and customer's events tell about a customer's value: orders placed, payments
received, interactions logged, summed up per customer.

Orders arrive as snapshots with their version: only a newer one replaces the one kept. A
payment is one milestone of one order, the same milestone paid again is the same payment.
Amounts keep their currency; sums are made per currency, and the reporting currency is what
value scores and segments compare: the system holds no exchange rates, so payments in another
currency are reported per currency and never converted.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

CANCELLED = "cancelled"
REPORTING_CURRENCY = "CNY"


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str  # ISO 4217


@dataclass(frozen=True)
class OrderFacts:
    order_id: str
    customer_id: str
    state: str  # placed, confirmed, ..., closed, cancelled
    amount: Money | None  # None until priced
    placed_at: datetime
    version: int

    @property
    def counts(self) -> bool:
        """A cancelled order is no order placed."""
        return self.state != CANCELLED

    def newer_than(self, kept: OrderFacts | None) -> bool:
        return kept is None or self.version > kept.version


@dataclass(frozen=True)
class Payment:
    order_id: str
    number: int  # the milestone's
    customer_id: str
    amount: Money
    paid_at: datetime


@dataclass(frozen=True)
class Interaction:
    interaction_id: str
    customer_id: str
    channel: str
    occurred_at: datetime


@dataclass(frozen=True)
class CustomerValue:
    """One customer's orders, payments and interactions summed up."""

    customer_id: str
    orders: int  # placed and not cancelled
    first_order_at: datetime | None
    last_order_at: datetime | None
    paid: tuple[Money, ...]  # per currency, largest first
    paid_in_reporting: Decimal  # the paid sum in the reporting currency (0 when none)
    interactions: int
    last_interaction_at: datetime | None


def summarize(
    customer_id: str,
    orders: Iterable[OrderFacts],
    payments: Iterable[Payment],
    interactions: Iterable[Interaction],
    reporting_currency: str = REPORTING_CURRENCY,
) -> CustomerValue:
    placed = sorted(o.placed_at for o in orders if o.counts)
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for payment in payments:
        sums[payment.amount.currency] += payment.amount.amount
    times = [i.occurred_at for i in interactions]
    return CustomerValue(
        customer_id=customer_id,
        orders=len(placed),
        first_order_at=placed[0] if placed else None,
        last_order_at=placed[-1] if placed else None,
        paid=tuple(
            Money(amount, currency)
            for currency, amount in sorted(sums.items(), key=lambda item: (-item[1], item[0]))
        ),
        paid_in_reporting=sums.get(reporting_currency, Decimal(0)),
        interactions=len(times),
        last_interaction_at=max(times, default=None),
    )
