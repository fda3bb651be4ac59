"""Sales targets (the `sales_targets` table, owner_id the rep) and the scorecard's figures,
read from the `opportunities` and `activities` tables."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from crm_platform.errors import Conflict
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crm_sales.adapters.orm import activities, opportunities, sales_targets
from crm_sales.domain.targets import ClosedDeal, Period, SalesTarget
from crm_sales.domain.values import Money

WON, LOST = "won", "lost"  # the opportunities' closed statuses


class SqlTargetRepository:
    def __init__(self, session: Session) -> None:
        self.session = session
        self._loaded: dict[str, int] = {}  # rep and period -> the version read

    def get(self, rep_id: str, period: Period) -> SalesTarget | None:
        row = self.session.execute(
            sa.select(sales_targets).where(
                sales_targets.c.owner_id == rep_id, sales_targets.c.period == str(period)
            )
        ).first()
        return None if row is None else self._loaded_target(row)

    def add(self, target: SalesTarget) -> None:
        try:
            with self.session.begin_nested():
                self.session.execute(sa.insert(sales_targets).values(_values(target)))
        except IntegrityError:
            # a concurrent request set the same rep's target for the period first
            raise Conflict(
                f"the target of {target.rep_id} for {target.period} was set meanwhile"
            ) from None
        self._loaded[_key(target)] = target.version

    def save(self, target: SalesTarget) -> None:
        read = self._loaded[_key(target)]
        result: sa.CursorResult[Any] = self.session.execute(  # type: ignore[assignment]
            sa.update(sales_targets)
            .where(sales_targets.c.id == target.id, sales_targets.c.version == read)
            .values(_values(target))
        )
        if result.rowcount != 1:
            raise Conflict(f"the target of {target.rep_id} for {target.period} changed meanwhile")
        self._loaded[_key(target)] = target.version

    def list(
        self, rep_ids: Collection[str] | None, rep_id: str | None, period: Period | None
    ) -> list[SalesTarget]:
        table = sales_targets
        statement = sa.select(table)
        if rep_ids is not None:
            statement = statement.where(table.c.owner_id.in_(sorted(rep_ids)))
        if rep_id is not None:
            statement = statement.where(table.c.owner_id == rep_id)
        if period is not None:
            statement = statement.where(table.c.period == str(period))
        statement = statement.order_by(table.c.period, table.c.owner_id)
        return [self._loaded_target(row) for row in self.session.execute(statement)]

    def _loaded_target(self, row: Any) -> SalesTarget:
        target = SalesTarget(
            id=row.id,
            rep_id=row.owner_id,
            period=Period.parse(row.period),
            amount=Money(Decimal(row.amount_cents) / 100, row.currency),
            set_by=row.set_by,
            version=row.version,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )
        self._loaded[_key(target)] = target.version
        return target


class SqlPerformanceFigures:
    def __init__(self, session: Session) -> None:
        self.session = session

    def closed_deals(self, rep_id: str, start: datetime, end: datetime) -> list[ClosedDeal]:
        table = opportunities
        rows = self.session.execute(
            sa.select(
                table.c.status, table.c.amount_cents, table.c.currency, table.c.created_at,
                table.c.closed_at,
            ).where(
                table.c.owner_id == rep_id,
                table.c.status.in_((WON, LOST)),
                table.c.closed_at >= start,
                table.c.closed_at < end,
            )
        )  # fmt: skip
        return [
            ClosedDeal(
                won=row.status == WON,
                amount=None
                if row.amount_cents is None or row.currency is None
                else Money(Decimal(row.amount_cents) / 100, row.currency),
                created_at=row.created_at,
                closed_at=row.closed_at,
            )
            for row in rows
        ]

    def activities_done(self, rep_id: str, start: datetime, end: datetime) -> int:
        table = activities
        count = self.session.execute(
            sa.select(sa.func.count()).where(
                table.c.owner_id == rep_id, table.c.done_at >= start, table.c.done_at < end
            )
        ).scalar_one()
        return int(count)


def _key(target: SalesTarget) -> str:
    return f"{target.rep_id}/{target.period}"


def _values(target: SalesTarget) -> dict[str, Any]:
    return {
        "id": target.id,
        "owner_id": target.rep_id,
        "period": str(target.period),
        "amount_cents": int(target.amount.amount * 100),
        "currency": target.amount.currency,
        "set_by": target.set_by,
        "version": target.version,
        "created_at": target.created_at,
        "updated_at": target.updated_at,
    }
