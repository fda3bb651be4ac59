"""RFM and lifetime value: one customer rescored as their value changes (per event), and
everyone measured and rescored again (on demand and nightly).

Per event, the customer is scored against the boundaries and models of the last full refresh
(domain/rfm.py says why that stays right between refreshes); the refresh measures the
population again, fits the models on the order history, rescores everyone in set-based SQL and
then checks every rule segment again, since RFM conditions moved for many at once.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Protocol

from crm_analytics.domain import lifetime_value, rfm
from crm_analytics.domain.lifetime_value import ModelParameters, Purchases
from crm_analytics.domain.orders import CustomerValue
from crm_analytics.domain.rfm import Boundaries
from crm_analytics.service_layer.ports import ReadModelUnit, RfmRefreshStore


def rescore(uow: ReadModelUnit, value: CustomerValue, today: date) -> rfm.Score:
    boundaries, model = uow.rfm.measures()
    lifetime = None
    if model is not None and value.first_order_at and value.last_order_at and value.orders:
        history = Purchases.of(
            value.customer_id, orders=value.orders, first_order_at=value.first_order_at,
            last_order_at=value.last_order_at, paid=value.paid_in_reporting, today=today,
        )  # fmt: skip
        lifetime = lifetime_value.predict(model, [history])[0]
    score = rfm.score(
        value.customer_id,
        orders=value.orders,
        last_order_at=value.last_order_at,
        paid_cents=int((value.paid_in_reporting * 100).to_integral_value()),
        today=today,
        boundaries=boundaries,
        lifetime=lifetime,
    )
    uow.rfm.save(score)
    return score


@dataclass(frozen=True)
class ValueSummary:
    by_segment: list[tuple[str, int]]  # largest first
    boundaries: Boundaries
    model: ModelParameters | None
    customers_scored: int
    membership_changes: int = 0


class RefreshUnit(Protocol):
    @property
    def rfm(self) -> RfmRefreshStore: ...

    def commit(self) -> None: ...


def utc_now() -> datetime:
    return datetime.now(UTC)


class ValueHandlers:
    def __init__(
        self,
        uow_factory: Callable[[], AbstractContextManager[RefreshUnit]],
        recompute_segments: Callable[[], int],
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.uow_factory = uow_factory
        self.recompute_segments = recompute_segments
        self.clock = clock

    def summary(self) -> ValueSummary:
        with self.uow_factory() as uow:
            boundaries, model = uow.rfm.measures()
            counts = _largest_first(uow.rfm.segment_counts())
            return ValueSummary(counts, boundaries, model, sum(c for _, c in counts))

    def recompute(self) -> ValueSummary:
        """Measure, fit, rescore everyone, then the rule segments; one transaction for the
        scores (a reader sees the old or the new ones, never half), one per segment after."""
        now = self.clock()
        today = now.astimezone(UTC).date()
        with self.uow_factory() as uow:
            boundaries = uow.rfm.measure(today, now)
            model = lifetime_value.fit(uow.rfm.sample(today))
            uow.rfm.save_measures(boundaries, model)
            uow.rfm.rescore_everyone(today, boundaries)
            if model is not None:
                for chunk in uow.rfm.buyers(today):
                    predicted = lifetime_value.predict(model, chunk)
                    scores = uow.rfm.r_scores([p.customer_id for p in chunk])
                    uow.rfm.save_lifetimes(
                        [
                            (p, scores.get(p.customer_id, 0), lifetime)
                            for p, lifetime in zip(chunk, predicted, strict=True)
                        ]
                    )
            counts = _largest_first(uow.rfm.segment_counts())
            uow.commit()
        changes = self.recompute_segments()
        return ValueSummary(counts, boundaries, model, sum(c for _, c in counts), changes)


def _largest_first(counts: list[tuple[str, int]]) -> list[tuple[str, int]]:
    return sorted(counts, key=lambda item: (-item[1], item[0]))
