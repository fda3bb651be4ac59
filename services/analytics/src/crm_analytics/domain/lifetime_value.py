"""Predicted customer lifetime value: a BG/NBD model of how often customers buy and how likely
they still do, and a Gamma-Gamma model of how much they spend per order, both fitted on the
order history of every customer (the `lifetimes` library: pure computation over numpy).

The fitted parameters are population-level: fitted in the full refresh, kept with the RFM
boundaries, and applied to one customer at a time as their orders arrive (a prediction is a
closed formula of the parameters and the customer's own history, no refit).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import numpy as np

from crm_analytics.domain.rfm import Lifetime

if TYPE_CHECKING:
    from lifetimes import BetaGeoFitter, GammaGammaFitter

log = logging.getLogger(__name__)

HORIZON_MONTHS = 12  # the predicted value is of the next year's orders
MONTHLY_DISCOUNT = 0.01  # future money is worth a little less (discounted cash flow)
DAYS_PER_MONTH = 30
MIN_CUSTOMERS = 20  # with an order; fewer and the fit says nothing
MIN_REPEATERS = 5  # with two orders or more: the spend model is fitted on them alone
PENALIZER = 0.01  # keeps the fit stable on small or lopsided histories


@dataclass(frozen=True)
class Purchases:
    """One customer's order history in the models' terms (days, whole)."""

    customer_id: str
    repeat: int  # orders after the first (x)
    recency_days: float  # first to last order (t_x)
    age_days: float  # first order to today (T)
    average_paid: float  # paid per order, the reporting currency

    @classmethod
    def of(
        cls,
        customer_id: str,
        *,
        orders: int,
        first_order_at: datetime,
        last_order_at: datetime,
        paid: Decimal,
        today: date,
    ) -> Purchases:
        return cls(
            customer_id=customer_id,
            repeat=max(orders - 1, 0),
            recency_days=float(max((last_order_at.date() - first_order_at.date()).days, 0)),
            age_days=float(max((today - first_order_at.date()).days, 0)),
            average_paid=float(paid / orders) if orders else 0.0,
        )


@dataclass(frozen=True)
class ModelParameters:
    # BG/NBD: purchase rate r, alpha; dropout a, b
    r: float
    alpha: float
    a: float
    b: float
    # Gamma-Gamma: p, q, v of the spend per order
    p: float
    q: float
    v: float
    customers: int  # fitted on

    def as_dict(self) -> dict[str, float]:
        return {name: float(getattr(self, name)) for name in _PARAMETERS} | {
            "customers": self.customers
        }

    @classmethod
    def from_dict(cls, data: dict[str, float]) -> ModelParameters:
        return cls(**{name: float(data[name]) for name in _PARAMETERS},
                   customers=int(data["customers"]))  # fmt: skip


_PARAMETERS = ("r", "alpha", "a", "b", "p", "q", "v")


def fit(history: Sequence[Purchases]) -> ModelParameters | None:
    """Both models fitted on the history; None when it is too small or the fit fails (the
    customers are then scored without predictions, which is said, not guessed)."""
    buyers = [h for h in history if h.age_days > 0 or h.repeat > 0]
    repeaters = [h for h in buyers if h.repeat > 0 and h.average_paid > 0]
    if len(buyers) < MIN_CUSTOMERS or len(repeaters) < MIN_REPEATERS:
        return None
    # imported on first use (pandas and the fitters take seconds): a process that never
    # scores a customer, and every process's start, goes without them
    from lifetimes import BetaGeoFitter, GammaGammaFitter

    frequency, recency, age, _ = _arrays(buyers)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # convergence chatter of small fits
            purchases = BetaGeoFitter(penalizer_coef=PENALIZER)
            purchases.fit(frequency, recency, age)
            spend = GammaGammaFitter(penalizer_coef=PENALIZER)
            spend.fit(
                np.array([h.repeat for h in repeaters], dtype=float),
                np.array([h.average_paid for h in repeaters], dtype=float),
            )
    except (ValueError, ArithmeticError, np.linalg.LinAlgError) as error:
        log.warning("the lifetime value models did not fit %d customers: %s", len(buyers), error)
        return None
    bg, gg = purchases.params_, spend.params_
    fitted = ModelParameters(
        **{name: float(bg[name]) for name in ("r", "alpha", "a", "b")},
        **{name: float(gg[name]) for name in ("p", "q", "v")},
        customers=len(buyers),
    )
    if not all(np.isfinite(value) and value > 0 for value in fitted.as_dict().values()):
        log.warning("the lifetime value models fitted to unusable parameters: %s", fitted)
        return None
    return fitted


def predict(parameters: ModelParameters, history: Sequence[Purchases]) -> list[Lifetime]:
    """Each customer's discounted value of the next HORIZON_MONTHS and probability alive."""
    if not history:
        return []
    purchases, spend = _models(parameters)
    frequency, recency, age, paid = _arrays(history)
    with np.errstate(all="ignore"):
        alive = np.asarray(purchases.conditional_probability_alive(frequency, recency, age))
        average = np.asarray(spend.conditional_expected_average_profit(frequency, paid))
        value = np.zeros(len(history))
        before = np.zeros(len(history))
        for month in range(1, HORIZON_MONTHS + 1):
            expected = np.asarray(
                purchases.conditional_expected_number_of_purchases_up_to_time(
                    month * DAYS_PER_MONTH, frequency, recency, age
                )
            )
            value += average * (expected - before) / (1 + MONTHLY_DISCOUNT) ** month
            before = expected
    return [
        Lifetime(_money(v), float(np.clip(p, 0.0, 1.0)) if np.isfinite(p) else 0.0)
        for v, p in zip(value, alive, strict=True)
    ]


def _models(parameters: ModelParameters) -> tuple[BetaGeoFitter, GammaGammaFitter]:
    import pandas as pd  # with the fitters, on first use (see fit)
    from lifetimes import BetaGeoFitter, GammaGammaFitter

    purchases = BetaGeoFitter()
    purchases.params_ = pd.Series(
        {name: getattr(parameters, name) for name in ("r", "alpha", "a", "b")}
    )
    spend = GammaGammaFitter()
    spend.params_ = pd.Series({name: getattr(parameters, name) for name in ("p", "q", "v")})
    return purchases, spend


def _arrays(history: Sequence[Purchases]) -> tuple[np.ndarray, ...]:
    return (
        np.array([h.repeat for h in history], dtype=float),
        np.array([h.recency_days for h in history], dtype=float),
        np.array([h.age_days for h in history], dtype=float),
        np.array([h.average_paid for h in history], dtype=float),
    )


def _money(value: float) -> Decimal:
    if not np.isfinite(value) or value < 0:
        return Decimal(0)
    return Decimal(str(round(float(value), 2)))
