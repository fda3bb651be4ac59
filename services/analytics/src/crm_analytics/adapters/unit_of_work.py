"""The analytics unit of work: one transaction over the read model (and the inbox)."""

from __future__ import annotations

from typing import Self

import sqlalchemy as sa
from crm_platform.tables import inbox
from crm_platform.uow import UnitOfWork

from crm_analytics.adapters.repository import CustomerFactsRepository


class AnalyticsUnitOfWork(UnitOfWork):
    customers: CustomerFactsRepository

    def __enter__(self) -> Self:
        super().__enter__()
        self.customers = CustomerFactsRepository(self.session)
        return self

    def reset_read_model(self, consumer: str) -> None:
        """Empty the read model and forget which events `consumer` applied, to replay them all."""
        self.customers.clear()
        self.session.execute(sa.delete(inbox).where(inbox.c.consumer == consumer))
