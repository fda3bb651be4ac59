"""RFM scores, named segments, tiers and churn risk, and the lifetime value models."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from crm_analytics.domain import lifetime_value
from crm_analytics.domain.lifetime_value import ModelParameters, Purchases
from crm_analytics.domain.rfm import (
    DEFAULT_BOUNDARIES,
    ChurnRisk,
    Lifetime,
    RfmSegment,
    ValueTier,
    higher_is_better,
    lower_is_better,
    score,
    segment_of,
    tier_of,
)

TODAY = date(2027, 1, 10)


def _at(days_ago: int) -> datetime:
    return datetime(2027, 1, 10, 12, tzinfo=UTC) - timedelta(days=days_ago)


@pytest.mark.parametrize(
    ("value", "expected"), [(0, 1), (1, 1), (2, 2), (3, 3), (4, 4), (5, 4), (6, 5), (100, 5)]
)
def test_a_higher_value_scores_one_more_per_cut_point_below_it(value: int, expected: int) -> None:
    assert higher_is_better(value, DEFAULT_BOUNDARIES.frequency) == expected


@pytest.mark.parametrize(("days", "expected"), [(0, 5), (30, 5), (31, 4), (180, 3), (366, 1)])
def test_fewer_days_since_the_last_order_score_higher(days: int, expected: int) -> None:
    assert lower_is_better(days, DEFAULT_BOUNDARIES.recency_days) == expected


@pytest.mark.parametrize(
    ("r", "f", "segment"),
    [
        (5, 5, RfmSegment.CHAMPIONS), (5, 4, RfmSegment.CHAMPIONS), (4, 5, RfmSegment.LOYAL),
        (3, 4, RfmSegment.LOYAL), (5, 2, RfmSegment.POTENTIAL_LOYALIST),
        (5, 1, RfmSegment.NEW_CUSTOMER), (4, 1, RfmSegment.PROMISING),
        (3, 3, RfmSegment.NEEDS_ATTENTION), (3, 1, RfmSegment.ABOUT_TO_SLEEP),
        (2, 5, RfmSegment.CANNOT_LOSE), (1, 3, RfmSegment.AT_RISK),
        (2, 2, RfmSegment.HIBERNATING), (1, 1, RfmSegment.LOST), (0, 0, RfmSegment.NO_ORDERS),
    ],
)  # fmt: skip
def test_the_grid_names_every_pair_of_scores(r: int, f: int, segment: RfmSegment) -> None:
    assert segment_of(r, f) is segment


def test_every_pair_of_scores_has_a_segment_and_every_segment_a_pair() -> None:
    named = {segment_of(r, f) for r in range(1, 6) for f in range(1, 6)} | {segment_of(0, 0)}
    assert named == set(RfmSegment)


def test_tiers_start_at_their_boundaries() -> None:
    silver, gold, platinum = DEFAULT_BOUNDARIES.tiers_cents
    assert [tier_of(c, DEFAULT_BOUNDARIES.tiers_cents) for c in (0, 1, silver, gold, platinum)] == [
        ValueTier.NONE, ValueTier.BRONZE, ValueTier.SILVER, ValueTier.GOLD, ValueTier.PLATINUM,
    ]  # fmt: skip


def test_a_first_order_today_makes_a_new_customer_and_many_recent_ones_a_champion() -> None:
    new = score("c", orders=1, last_order_at=_at(0), paid_cents=10_000, today=TODAY,
                boundaries=DEFAULT_BOUNDARIES, lifetime=None)  # fmt: skip
    champion = score("c", orders=7, last_order_at=_at(2), paid_cents=2_000_000, today=TODAY,
                     boundaries=DEFAULT_BOUNDARIES, lifetime=None)  # fmt: skip
    assert (new.code, new.segment, new.churn_risk) == ("511", RfmSegment.NEW_CUSTOMER,
                                                       ChurnRisk.LOW)  # fmt: skip
    assert (champion.code, champion.segment, champion.value_tier) == (
        "555", RfmSegment.CHAMPIONS, ValueTier.PLATINUM,
    )  # fmt: skip
    assert champion.predicted_clv_cents is None


def test_without_orders_there_is_nothing_to_score() -> None:
    none = score("c", orders=0, last_order_at=None, paid_cents=0, today=TODAY,
                 boundaries=DEFAULT_BOUNDARIES, lifetime=None)  # fmt: skip
    assert (none.code, none.segment, none.value_tier, none.churn_risk, none.recency_days) == (
        "000", RfmSegment.NO_ORDERS, ValueTier.NONE, ChurnRisk.UNKNOWN, None,
    )  # fmt: skip


def test_the_models_probability_alive_decides_the_churn_risk() -> None:
    fading = score("c", orders=3, last_order_at=_at(10), paid_cents=100, today=TODAY,
                   boundaries=DEFAULT_BOUNDARIES,
                   lifetime=Lifetime(Decimal("12.34"), 0.2))  # fmt: skip
    assert (fading.churn_risk, fading.predicted_clv_cents) == (ChurnRisk.HIGH, 1234)


def _history(customers: int, seed: int = 7) -> list[Purchases]:
    rng = random.Random(seed)
    history = []
    for number in range(customers):
        orders = rng.choice([1, 1, 2, 3, 4, 6])
        first = _at(rng.randint(60, 400))
        last = first + timedelta(days=rng.randint(1, 50)) if orders > 1 else first
        paid = Decimal(orders * rng.randint(80, 400))
        history.append(Purchases.of(str(number), orders=orders, first_order_at=first,
                                    last_order_at=last, paid=paid, today=TODAY))  # fmt: skip
    return history


def test_the_models_fit_an_order_history_and_predict_more_for_frequent_recent_buyers() -> None:
    model = lifetime_value.fit(_history(400))
    assert model is not None
    assert model.customers == 400
    frequent = Purchases("a", repeat=8, recency_days=300.0, age_days=305.0, average_paid=300.0)
    gone = Purchases("b", repeat=1, recency_days=5.0, age_days=400.0, average_paid=300.0)
    ahead, behind = lifetime_value.predict(model, [frequent, gone])
    assert ahead.predicted_clv > behind.predicted_clv > 0
    assert ahead.p_alive > behind.p_alive
    assert ModelParameters.from_dict(model.as_dict()) == model


def test_too_little_history_fits_no_model() -> None:
    assert lifetime_value.fit(_history(lifetime_value.MIN_CUSTOMERS - 1)) is None
