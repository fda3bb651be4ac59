"""RFM scores and the measures they are scored against, in the database.

The full refresh is set-based SQL of PostgreSQL's (percentile_disc for the quintiles, one
INSERT ... SELECT for every customer's scores; SQLite, for development, scores per event
only), so it scales with the database, not with a Python loop. Only the predicted lifetime
value, a formula over numpy arrays, is computed in Python, in chunks of customers with an
order. The named segment of each (R, F) pair and the churn risk of each R score come from the
domain's own functions, as a VALUES table the SQL joins, so the incremental path
(domain.rfm.score) and the full refresh cannot disagree.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from crm_analytics.adapters.orm import customer_rfm, customer_value, value_measures
from crm_analytics.domain.lifetime_value import ModelParameters, Purchases
from crm_analytics.domain.rfm import (
    DEFAULT_BOUNDARIES,
    MIN_CUSTOMERS_FOR_QUINTILES,
    Boundaries,
    ChurnRisk,
    Lifetime,
    RfmSegment,
    Score,
    ValueTier,
    churn_risk_of,
    segment_of,
)

CURRENT = "current"
QUINTILES = (0.2, 0.4, 0.6, 0.8)
TIER_SHARES = (0.5, 0.8, 0.95)
SAMPLE = 20_000  # customers the models are fitted on: population parameters need no more
CHUNK = 10_000  # customers predicted per round trip
rfm = customer_rfm.c
value = customer_value.c


class RfmRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def measures(self) -> tuple[Boundaries, ModelParameters | None]:
        row = self.session.execute(
            sa.select(value_measures).where(value_measures.c.name == CURRENT)
        ).first()
        if row is None:
            return DEFAULT_BOUNDARIES, None
        model = ModelParameters.from_dict(row.model) if row.model else None
        return replace(_boundaries(row.boundaries), measured_at=row.measured_at), model

    def save_measures(self, boundaries: Boundaries, model: ModelParameters | None) -> None:
        values = {
            "name": CURRENT,
            "boundaries": _boundaries_json(boundaries),
            "model": model.as_dict() if model else None,
            "measured_at": boundaries.measured_at,
        }
        statement = self._insert(value_measures).values(**values)
        self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[value_measures.c.name],
                set_={name: statement.excluded[name] for name in list(values)[1:]},
            )
        )

    def score(self, customer_id: str) -> Score | None:
        row = self.session.execute(
            sa.select(customer_rfm).where(rfm.customer_id == customer_id)
        ).first()
        return _score(row) if row is not None else None

    def save(self, score: Score) -> None:
        values = _row(score)
        statement = self._insert(customer_rfm).values(**values)
        self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[rfm.customer_id],
                set_={name: statement.excluded[name] for name in list(values)[1:]},
            )
        )

    def segment_counts(self) -> list[tuple[str, int]]:
        rows = self.session.execute(sa.select(rfm.segment, sa.func.count()).group_by(rfm.segment))
        return [(segment, count) for segment, count in rows]

    def clear(self) -> None:
        self.session.execute(sa.delete(customer_rfm))
        self.session.execute(sa.delete(value_measures))

    def _insert(self, table: sa.Table) -> Any:
        dialect = self.session.get_bind().dialect.name
        return (pg_insert if dialect == "postgresql" else sqlite_insert)(table)

    # -- the full refresh -----------------------------------------------------------------------

    def measure(self, today: date, at: datetime) -> Boundaries:
        """The quintile boundaries of every customer with an order now (the defaults while
        fewer than MIN_CUSTOMERS_FOR_QUINTILES have ordered)."""
        days = _recency_days(today)
        row = self.session.execute(
            sa.select(
                sa.func.count(),
                _percentiles(QUINTILES, days),
                _percentiles(QUINTILES, value.orders),
                _percentiles(QUINTILES, value.paid_cents),
                _percentiles(TIER_SHARES, value.paid_cents).filter(value.paid_cents > 0),
            ).where(value.orders > 0)
        ).one()
        customers, recency, frequency, monetary, tiers = row
        if customers < MIN_CUSTOMERS_FOR_QUINTILES:
            return Boundaries(
                DEFAULT_BOUNDARIES.recency_days, DEFAULT_BOUNDARIES.frequency,
                DEFAULT_BOUNDARIES.monetary_cents, DEFAULT_BOUNDARIES.tiers_cents,
                customers=customers, measured_at=at,
            )  # fmt: skip
        return Boundaries(
            recency_days=_four(recency),
            frequency=_four(frequency),
            monetary_cents=_four(monetary),
            tiers_cents=_three(tiers) if tiers else DEFAULT_BOUNDARIES.tiers_cents,
            customers=customers,
            measured_at=at,
        )

    def sample(self, today: date) -> list[Purchases]:
        """At most SAMPLE customers with an order, drawn at random, to fit the models on."""
        rows = self.session.execute(
            _histories().where(value.orders > 0).order_by(sa.func.random()).limit(SAMPLE)
        )
        return [_purchases(row, today) for row in rows]

    def rescore_everyone(self, today: date, boundaries: Boundaries) -> None:
        """Every customer with a value row scored again in one statement."""
        days = _recency_days(today)
        r = sa.case((value.orders <= 0, 0), else_=_lower_is_better(days, boundaries.recency_days))
        f = sa.case(
            (value.orders <= 0, 0), else_=_higher_is_better(value.orders, boundaries.frequency)
        )
        m = sa.case(
            (value.orders <= 0, 0),
            else_=_higher_is_better(value.paid_cents, boundaries.monetary_cents),
        )
        scored = sa.select(
            value.customer_id,
            sa.case((value.orders <= 0, None), else_=days).label("recency_days"),
            value.orders.label("frequency"),
            value.paid_cents.label("monetary_cents"),
            r.label("r"),
            f.label("f"),
            m.label("m"),
            value.paid_cents.label("clv_cents"),
        ).subquery()
        grid = _grid()
        chosen = sa.select(
            scored.c.customer_id, scored.c.recency_days, scored.c.frequency,
            scored.c.monetary_cents, scored.c.r, scored.c.f, scored.c.m, grid.c.segment,
            _tier(scored.c.clv_cents, boundaries.tiers_cents), grid.c.churn_risk,
            scored.c.clv_cents, sa.null(), sa.null(), sa.func.now(),
        ).select_from(
            scored.join(grid, sa.and_(grid.c.r == scored.c.r, grid.c.f == scored.c.f))
        )  # fmt: skip
        self.session.execute(sa.delete(customer_rfm))
        self.session.execute(
            sa.insert(customer_rfm).from_select([c.name for c in customer_rfm.columns], chosen)
        )

    def buyers(self, today: date) -> Iterator[list[Purchases]]:
        """Every customer with an order, CHUNK at a time, by customer id."""
        after = ""
        while True:
            rows = list(
                self.session.execute(
                    _histories()
                    .where(value.orders > 0, value.customer_id > after)
                    .order_by(value.customer_id)
                    .limit(CHUNK)
                )
            )
            if not rows:
                return
            yield [_purchases(row, today) for row in rows]
            after = rows[-1].customer_id

    def save_lifetimes(self, lifetimes: list[tuple[Purchases, int, Lifetime]]) -> None:
        """(history, r score, lifetime) for a chunk: the prediction and the churn risk it
        gives."""
        if not lifetimes:
            return
        self.session.execute(
            sa.update(customer_rfm)
            .where(rfm.customer_id == sa.bindparam("id"))
            .values(
                predicted_clv_cents=sa.bindparam("predicted"),
                p_alive=sa.bindparam("alive"),
                churn_risk=sa.bindparam("risk"),
            )
            .execution_options(synchronize_session=False),
            [
                {
                    "id": history.customer_id,
                    "predicted": int((lifetime.predicted_clv * 100).to_integral_value()),
                    "alive": lifetime.p_alive,
                    "risk": churn_risk_of(r, lifetime.p_alive, history.repeat > 0).value,
                }
                for history, r, lifetime in lifetimes
            ],
        )

    def r_scores(self, customer_ids: list[str]) -> dict[str, int]:
        rows = self.session.execute(
            sa.select(rfm.customer_id, rfm.r).where(rfm.customer_id.in_(customer_ids))
        )
        return {customer_id: r for customer_id, r in rows}


def _recency_days(today: date) -> sa.ColumnElement[int]:
    """Whole days from the last order's UTC date to today."""
    last = sa.cast(sa.func.timezone("UTC", value.last_order_at), sa.Date)
    return sa.cast(sa.literal(today, sa.Date) - last, sa.Integer)


def _percentiles(shares: tuple[float, ...], column: sa.ColumnElement[Any]) -> Any:
    return sa.func.percentile_disc(sa.literal(list(shares), sa.ARRAY(sa.Float))).within_group(
        column
    )


def _higher_is_better(column: sa.ColumnElement[Any], cuts: tuple[int, ...]) -> Any:
    # as domain.rfm.higher_is_better: one more for every cut point strictly below the value
    return 1 + sum((sa.case((column > cut, 1), else_=0) for cut in cuts), sa.literal(0))


def _lower_is_better(column: sa.ColumnElement[Any], cuts: tuple[int, ...]) -> Any:
    return 5 - sum((sa.case((column > cut, 1), else_=0) for cut in cuts), sa.literal(0))


def _tier(column: sa.ColumnElement[Any], tiers: tuple[int, int, int]) -> Any:
    silver, gold, platinum = tiers
    return sa.case(
        (column <= 0, ValueTier.NONE.value),
        (column >= platinum, ValueTier.PLATINUM.value),
        (column >= gold, ValueTier.GOLD.value),
        (column >= silver, ValueTier.SILVER.value),
        else_=ValueTier.BRONZE.value,
    )


def _grid() -> sa.Values:
    """(r, f, segment, churn risk without a model) for every pair of scores, from the domain."""
    pairs = [(0, 0)] + [(r, f) for r in range(1, 6) for f in range(1, 6)]
    return (
        sa.values(
            sa.column("r", sa.Integer), sa.column("f", sa.Integer),
            sa.column("segment", sa.String), sa.column("churn_risk", sa.String), name="grid",
        )
        .data([(r, f, segment_of(r, f).value, churn_risk_of(r, None, False).value)
               for r, f in pairs])
    )  # fmt: skip


def _histories() -> sa.Select[Any]:
    return sa.select(
        value.customer_id, value.orders, value.first_order_at, value.last_order_at,
        value.paid_cents,
    )  # fmt: skip


def _purchases(row: Any, today: date) -> Purchases:
    return Purchases.of(
        row.customer_id,
        orders=row.orders,
        first_order_at=row.first_order_at,
        last_order_at=row.last_order_at,
        paid=Decimal(row.paid_cents) / 100,
        today=today,
    )


def _four(values: list[Any]) -> tuple[int, int, int, int]:
    a, b, c, d = (int(v) for v in values)
    return a, b, c, d


def _three(values: list[Any]) -> tuple[int, int, int]:
    a, b, c = (int(v) for v in values)
    return a, b, c


def _boundaries_json(boundaries: Boundaries) -> dict[str, Any]:
    return {
        "recency_days": list(boundaries.recency_days),
        "frequency": list(boundaries.frequency),
        "monetary_cents": list(boundaries.monetary_cents),
        "tiers_cents": list(boundaries.tiers_cents),
        "customers": boundaries.customers,
    }


def _boundaries(data: dict[str, Any]) -> Boundaries:
    return Boundaries(
        recency_days=_four(data["recency_days"]),
        frequency=_four(data["frequency"]),
        monetary_cents=_four(data["monetary_cents"]),
        tiers_cents=_three(data["tiers_cents"]),
        customers=int(data["customers"]),
        measured_at=None,
    )


def _row(score: Score) -> dict[str, Any]:
    return {
        "customer_id": score.customer_id,
        "recency_days": score.recency_days,
        "frequency": score.frequency,
        "monetary_cents": score.monetary_cents,
        "r": score.r,
        "f": score.f,
        "m": score.m,
        "segment": score.segment.value,
        "value_tier": score.value_tier.value,
        "churn_risk": score.churn_risk.value,
        "clv_cents": score.clv_cents,
        "predicted_clv_cents": score.predicted_clv_cents,
        "p_alive": score.p_alive,
        "scored_at": sa.func.now(),
    }


def _score(row: Any) -> Score:
    return Score(
        customer_id=row.customer_id,
        recency_days=row.recency_days,
        frequency=row.frequency,
        monetary_cents=row.monetary_cents,
        r=row.r,
        f=row.f,
        m=row.m,
        segment=RfmSegment(row.segment),
        value_tier=ValueTier(row.value_tier),
        churn_risk=ChurnRisk(row.churn_risk),
        clv_cents=row.clv_cents,
        predicted_clv_cents=row.predicted_clv_cents,
        p_alive=row.p_alive,
    )
