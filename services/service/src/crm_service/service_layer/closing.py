"""Resolved cases close by themselves `after` their resolution (CRM_SERVICE_AUTO_CLOSE_DAYS),
in the jobs role's loop: each case in a transaction of its own with its CaseStatusChanged, on
the version it was read at, so a second look (after a restart, on another replica) or a
customer reopening it meanwhile closes nothing twice."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from uuid import UUID

from crm_platform.errors import Conflict

from crm_service.domain.values import Actor, ActorKind
from crm_service.service_layer.ports import UnitOfWork

log = logging.getLogger(__name__)

AUTO_CLOSE = Actor("service-sla", ActorKind.SERVICE)
BATCH = 200


class AutoClose:
    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        after: timedelta,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        batch: int = BATCH,
    ) -> None:
        self.uow_factory = uow_factory
        self.after = after
        self.clock = clock
        self.batch = batch

    def close_due(self) -> int:
        """Close every case resolved long enough ago; how many."""
        now, closed = self.clock(), 0
        while True:
            with self.uow_factory() as uow:
                due = uow.cases.resolved_before(now - self.after, self.batch)
            done = sum(self._close(case_id, now) for case_id in due)
            closed += done
            if len(due) < self.batch or not done:
                return closed

    def _close(self, case_id: UUID, now: datetime) -> bool:
        try:
            with self.uow_factory() as uow:
                case = uow.cases.get(case_id)
                if case is None or not case.close_unattended(AUTO_CLOSE, now, self.after):
                    return False
                uow.cases.save(case)
                uow.commit()
                return True
        except Conflict:
            log.info("case %s changed while it was closed; the next look sees it", case_id)
            return False
