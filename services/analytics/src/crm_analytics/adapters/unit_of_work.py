"""The analytics unit of work: one transaction over the read model (and the inbox)."""

from __future__ import annotations

from typing import Self

from crm_platform.uow import UnitOfWork

from crm_analytics.adapters.repository import CustomerFactsRepository


class AnalyticsUnitOfWork(UnitOfWork):
    customers: CustomerFactsRepository

    def __enter__(self) -> Self:
        super().__enter__()
        self.customers = CustomerFactsRepository(self.session)
        return self
