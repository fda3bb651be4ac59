"""RFM: recency, frequency and monetary scores in quintiles, the named segments they make, value
tiers and churn risk.

Scores are 1 (worst) to 5 (best) against the quintile boundaries of every customer with an
order, refreshed in full on demand and nightly. Between refreshes a customer whose value
changes is scored at once against the boundaries of the last refresh: their scores are always
"where they stand in the population as it was last measured", which is what a full refresh
would give them as long as the population has not moved (one order among thousands moves a
quintile little); the nightly refresh measures the population again and rescores everyone
(recency moves with the date alone). Until enough customers have ordered for quintiles to mean
anything, fixed boundaries stand in (DEFAULT_BOUNDARIES).

The named segments come from the recency and frequency scores, as in the usual RFM grid; the
monetary score is kept beside them (the value tier is where money counts).
"""

from __future__ import annotations

import enum
from bisect import bisect_left
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

MIN_CUSTOMERS_FOR_QUINTILES = 50  # fewer customers with an order: DEFAULT_BOUNDARIES


class RfmSegment(enum.StrEnum):
    CHAMPIONS = "champions"
    LOYAL = "loyal"
    POTENTIAL_LOYALIST = "potential_loyalist"
    NEW_CUSTOMER = "new_customer"
    PROMISING = "promising"
    NEEDS_ATTENTION = "needs_attention"
    ABOUT_TO_SLEEP = "about_to_sleep"
    AT_RISK = "at_risk"
    CANNOT_LOSE = "cannot_lose"
    HIBERNATING = "hibernating"
    LOST = "lost"
    NO_ORDERS = "no_orders"


class ValueTier(enum.StrEnum):
    PLATINUM = "platinum"
    GOLD = "gold"
    SILVER = "silver"
    BRONZE = "bronze"
    NONE = "none"  # nothing paid yet


class ChurnRisk(enum.StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    UNKNOWN = "unknown"  # no order yet


@dataclass(frozen=True)
class Boundaries:
    """Four ascending cut points per measure (the 20th, 40th, 60th and 80th percentiles), and
    the paid sums (cents) where the gold and platinum tiers and silver start."""

    recency_days: tuple[int, int, int, int]
    frequency: tuple[int, int, int, int]
    monetary_cents: tuple[int, int, int, int]
    tiers_cents: tuple[int, int, int]  # silver (median), gold (80th), platinum (95th)
    customers: int  # with an order, when measured (0: the defaults)
    measured_at: datetime | None  # None: the defaults


DEFAULT_BOUNDARIES = Boundaries(
    recency_days=(30, 90, 180, 365),
    frequency=(1, 2, 3, 5),
    monetary_cents=(10_000, 50_000, 100_000, 500_000),
    tiers_cents=(50_000, 200_000, 1_000_000),
    customers=0,
    measured_at=None,
)


@dataclass(frozen=True)
class Lifetime:
    """What the BG/NBD and Gamma-Gamma models say of one customer (service_layer.ports
    ValueModel); None while no model is fitted."""

    predicted_clv: Decimal  # the reporting currency, over the model's horizon
    p_alive: float  # the probability the customer still buys


@dataclass(frozen=True)
class Score:
    customer_id: str
    recency_days: int | None  # whole days since the last order; None: never ordered
    frequency: int
    monetary_cents: int
    r: int  # 0: no orders
    f: int
    m: int
    segment: RfmSegment
    value_tier: ValueTier
    churn_risk: ChurnRisk
    clv_cents: int  # historic: everything paid
    predicted_clv_cents: int | None  # None: no model fitted yet
    p_alive: float | None

    @property
    def code(self) -> str:
        """The usual three-digit RFM code, "555" the best; "000" without orders."""
        return f"{self.r}{self.f}{self.m}"


def higher_is_better(value: int, cuts: tuple[int, ...]) -> int:
    """1 to 5: one more for every cut point the value is above."""
    return 1 + bisect_left(cuts, value)


def lower_is_better(value: int, cuts: tuple[int, ...]) -> int:
    """5 to 1: one less for every cut point the value is above (recency: fewer days is better)."""
    return 5 - bisect_left(cuts, value)


def segment_of(r: int, f: int) -> RfmSegment:
    """The usual RFM grid over recency and frequency scores."""
    if r == 0 or f == 0:
        return RfmSegment.NO_ORDERS
    if r >= 4 and f >= 4:
        return RfmSegment.CHAMPIONS if r == 5 else RfmSegment.LOYAL
    if r == 3 and f >= 4:
        return RfmSegment.LOYAL
    if r >= 4 and f in (2, 3):
        return RfmSegment.POTENTIAL_LOYALIST
    if r == 5 and f == 1:
        return RfmSegment.NEW_CUSTOMER
    if r == 4 and f == 1:
        return RfmSegment.PROMISING
    if r == 3:
        return RfmSegment.NEEDS_ATTENTION if f == 3 else RfmSegment.ABOUT_TO_SLEEP
    if f == 5:
        return RfmSegment.CANNOT_LOSE
    if f >= 3:
        return RfmSegment.AT_RISK
    return RfmSegment.LOST if r == 1 and f == 1 else RfmSegment.HIBERNATING


def tier_of(clv_cents: int, tiers_cents: tuple[int, int, int]) -> ValueTier:
    if clv_cents <= 0:
        return ValueTier.NONE
    silver, gold, platinum = tiers_cents
    if clv_cents >= platinum:
        return ValueTier.PLATINUM
    if clv_cents >= gold:
        return ValueTier.GOLD
    if clv_cents >= silver:
        return ValueTier.SILVER
    return ValueTier.BRONZE


def churn_risk_of(r: int, p_alive: float | None, repeat_buyer: bool) -> ChurnRisk:
    """From the model's probability that the customer still buys; without a model, or for a
    customer with one order (BG/NBD holds everyone alive until a repeat order shows their
    pace), from the recency score (the bottom two quintiles are the ones drifting away)."""
    if r == 0:
        return ChurnRisk.UNKNOWN
    if p_alive is not None and repeat_buyer:
        if p_alive < 0.3:
            return ChurnRisk.HIGH
        return ChurnRisk.MEDIUM if p_alive < 0.7 else ChurnRisk.LOW
    return {1: ChurnRisk.HIGH, 2: ChurnRisk.MEDIUM}.get(r, ChurnRisk.LOW)


def score(
    customer_id: str,
    *,
    orders: int,
    last_order_at: datetime | None,
    paid_cents: int,
    today: date,
    boundaries: Boundaries,
    lifetime: Lifetime | None,
) -> Score:
    """One customer scored against the boundaries (the incremental path; the full refresh
    computes the same in SQL, adapters/rfm_repository.py)."""
    if orders <= 0 or last_order_at is None:
        r = f = m = 0
        recency = None
    else:
        recency = max(0, (today - last_order_at.date()).days)
        r = lower_is_better(recency, boundaries.recency_days)
        f = higher_is_better(orders, boundaries.frequency)
        m = higher_is_better(paid_cents, boundaries.monetary_cents)
    p_alive = lifetime.p_alive if lifetime is not None and r else None
    predicted = lifetime.predicted_clv if lifetime is not None else None
    return Score(
        customer_id=customer_id,
        recency_days=recency,
        frequency=max(orders, 0),
        monetary_cents=paid_cents,
        r=r,
        f=f,
        m=m,
        segment=segment_of(r, f),
        value_tier=tier_of(paid_cents, boundaries.tiers_cents),
        churn_risk=churn_risk_of(r, p_alive, orders > 1),
        clv_cents=paid_cents,
        predicted_clv_cents=None if predicted is None else _cents(predicted),
        p_alive=p_alive,
    )


def _cents(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())
