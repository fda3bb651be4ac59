"""The daily care job and the care tasks' reading. The job looks at the customers (the
service's copy of their contacts) whose birthday or anniversary as a customer is the day, and
makes each a care task for their owner with its CareDue, one transaction per task; a task of
the same customer, occasion and year is never made twice, so the job may run again (a retry,
a restart, two CronJob runs) at any time."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime

from crm_platform import paging
from crm_platform.errors import AlreadyExists, PermissionDenied
from crm_platform.paging import Page

from crm_service.domain.care import CareTask, occasions_of
from crm_service.domain.values import Actor
from crm_service.service_layer.ports import UnitOfWork


class CareHandlers:
    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.uow_factory = uow_factory
        self.clock = clock

    def run(self, day: date | None = None) -> int:
        """The care tasks of `day` (today, UTC) made; how many were new."""
        now = self.clock()
        day = day or now.date()
        with self.uow_factory() as uow:
            celebrating = uow.contacts.celebrating(day.month, day.day)
        made = 0
        for contact in celebrating:
            for occasion in occasions_of(contact, day):
                try:
                    with self.uow_factory() as uow:
                        if uow.care.has(contact.customer_id, occasion, day.year):
                            continue
                        task = CareTask.make(contact, occasion, day, id=uuid.uuid4(), now=now)
                        uow.care.add(task)
                        uow.commit()
                        made += 1
                except AlreadyExists:
                    continue  # another run made it first
        return made

    def of_owner(
        self, actor: Actor, owner_id: str, page_size: int, page_token: str
    ) -> Page[CareTask]:
        """The caller's own tasks; another owner's for admins and managers."""
        owner = owner_id.strip() or actor.subject
        if owner != actor.subject and not actor.is_manager:
            raise PermissionDenied("only managers read another owner's care tasks")
        limit = paging.page_size(page_size)
        after = paging.decode_cursor(page_token)
        with self.uow_factory() as uow:
            rows = uow.care.of_owner(owner, after, limit + 1)
        return paging.page_of(rows, limit, lambda task: (task.created_at, task.id))
