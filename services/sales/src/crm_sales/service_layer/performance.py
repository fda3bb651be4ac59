"""Sales targets and scorecards.

Whose figures a caller sees is narrower than the records' visibility: a rep their own, a
manager their own and those of the members of the teams they manage, admins, finance and
analysts everyone's. Anyone else's scorecard is NOT_FOUND; lists hold only the visible.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection
from datetime import UTC, datetime
from typing import Protocol

from crm_platform.errors import NotFound

from crm_sales.domain.targets import ClosedDeal, Period, SalesTarget, Scorecard, scorecard
from crm_sales.domain.values import Actor, Money
from crm_sales.service_layer.expenses import ManagedStaff
from crm_sales.service_layer.ports import UnitOfWork
from crm_sales.service_layer.visibility import sees_everything


class TargetRepository(Protocol):
    def get(self, rep_id: str, period: Period) -> SalesTarget | None: ...

    def add(self, target: SalesTarget) -> None: ...

    def save(self, target: SalesTarget) -> None: ...

    def list(
        self, rep_ids: Collection[str] | None, rep_id: str | None, period: Period | None
    ) -> list[SalesTarget]:
        """Of these reps (None: every rep), by period then rep."""
        ...


class PerformanceFigures(Protocol):
    """What the scorecard counts, from the opportunities and activities."""

    def closed_deals(self, rep_id: str, start: datetime, end: datetime) -> list[ClosedDeal]:
        """The rep's opportunities won or lost with closed_at in [start, end)."""
        ...

    def activities_done(self, rep_id: str, start: datetime, end: datetime) -> int:
        """The rep's activities with done_at in [start, end)."""
        ...


class PerformanceUnitOfWork(UnitOfWork, Protocol):
    @property
    def sales_targets(self) -> TargetRepository: ...

    @property
    def performance(self) -> PerformanceFigures: ...

    @property
    def managed_staff(self) -> ManagedStaff: ...


class PerformanceHandlers:
    def __init__(
        self,
        uow_factory: Callable[[], PerformanceUnitOfWork],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.uow_factory = uow_factory
        self.clock = clock

    def set_target(self, actor: Actor, rep_id: str, period: Period, amount: Money) -> SalesTarget:
        now = self.clock()
        with self.uow_factory() as uow:
            manages = rep_id in uow.managed_staff.managed_by(actor.subject)
            target = uow.sales_targets.get(rep_id, period)
            if target is None:
                target = SalesTarget.set(
                    id=uuid.uuid4(),
                    rep_id=rep_id,
                    period=period,
                    amount=amount,
                    actor=actor,
                    manages_rep=manages,
                    now=now,
                )
                uow.sales_targets.add(target)
            else:
                target.change(amount, actor, manages_rep=manages, now=now)
                uow.sales_targets.save(target)
            uow.commit()
        return target

    def list_targets(
        self, actor: Actor, rep_id: str | None, period: Period | None
    ) -> list[SalesTarget]:
        with self.uow_factory() as uow:
            return uow.sales_targets.list(_visible_reps(uow, actor), rep_id, period)

    def scorecard(self, actor: Actor, rep_id: str, period: Period) -> Scorecard:
        with self.uow_factory() as uow:
            reps = _visible_reps(uow, actor)
            if reps is not None and rep_id not in reps:
                raise NotFound(f"no scorecard of {rep_id!r}")
            figures = uow.performance
            return scorecard(
                rep_id,
                period,
                uow.sales_targets.get(rep_id, period),
                figures.closed_deals(rep_id, period.start, period.end),
                figures.activities_done(rep_id, period.start, period.end),
            )


def _visible_reps(uow: PerformanceUnitOfWork, actor: Actor) -> frozenset[str] | None:
    """The reps whose figures `actor` sees; None: everyone's."""
    if sees_everything(actor):
        return None
    if not actor.is_staff:
        return frozenset()
    return frozenset({actor.subject}) | uow.managed_staff.managed_by(actor.subject)
