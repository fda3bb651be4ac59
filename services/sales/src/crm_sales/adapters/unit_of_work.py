"""The sales service's unit of work: the chassis transaction plus its repositories, whose
aggregates' events the chassis writes to the outbox at commit."""

from __future__ import annotations

from typing import Any, Self

from crm_platform.privacy import SqlErasureLog, SqlPersonalRecords
from crm_platform.uow import UnitOfWork
from crm_proto.crm.common.v1 import common_pb2
from google.protobuf.message import Message

from crm_sales.adapters.activities_repository import SqlActivityRepository
from crm_sales.adapters.event_mapping import to_message
from crm_sales.adapters.expenses_repository import SqlExpenseRepository
from crm_sales.adapters.leads_repository import SqlAssignments, SqlLeadRepository, SqlWinModels
from crm_sales.adapters.management import SqlManagedStaff
from crm_sales.adapters.opportunities_repository import SqlOpportunityRepository
from crm_sales.adapters.orm import personal_data_erasures
from crm_sales.adapters.performance_repository import SqlPerformanceFigures, SqlTargetRepository
from crm_sales.adapters.privacy_repository import personal_records
from crm_sales.adapters.quotes_repository import SqlQuoteRepository
from crm_sales.adapters.repository import (
    SqlIdempotencyKeys,
    SqlOrderHolders,
    SqlOrderRepository,
)
from crm_sales.adapters.teams import SqlStaffAccounts, SqlTeamDirectory


class SqlUnitOfWork(UnitOfWork):
    orders: SqlOrderRepository
    order_holders: SqlOrderHolders
    idempotency_keys: SqlIdempotencyKeys
    teams: SqlTeamDirectory
    staff_accounts: SqlStaffAccounts
    activities: SqlActivityRepository
    opportunities: SqlOpportunityRepository
    quotes: SqlQuoteRepository
    expenses: SqlExpenseRepository
    managed_staff: SqlManagedStaff
    sales_targets: SqlTargetRepository
    performance: SqlPerformanceFigures
    leads: SqlLeadRepository
    assignments: SqlAssignments
    win_models: SqlWinModels
    erasures: SqlErasureLog
    personal_data: SqlPersonalRecords

    def __enter__(self) -> Self:
        super().__enter__()
        self.orders = SqlOrderRepository(self.session, self.track)
        self.order_holders = SqlOrderHolders(self.session)
        self.idempotency_keys = SqlIdempotencyKeys(self.session)
        self.teams = SqlTeamDirectory(self.session, self.track)
        self.staff_accounts = SqlStaffAccounts(self.session)
        self.activities = SqlActivityRepository(self.session, self.track)
        self.opportunities = SqlOpportunityRepository(self.session, self.track)
        self.quotes = SqlQuoteRepository(self.session, self.track)
        self.expenses = SqlExpenseRepository(self.session, self.track)
        self.managed_staff = SqlManagedStaff(self.session)
        self.sales_targets = SqlTargetRepository(self.session)
        self.performance = SqlPerformanceFigures(self.session)
        self.leads = SqlLeadRepository(self.session, self.track)
        self.assignments = SqlAssignments(self.session)
        self.win_models = SqlWinModels(self.session)
        self.erasures = SqlErasureLog(self.session, personal_data_erasures)
        self.personal_data = personal_records(self.session)
        return self

    def outbox_message(self, event: Any, actor: common_pb2.Actor) -> tuple[Message, str]:
        # every event is about one aggregate (an order, a lead, ...): its subject
        return to_message(event, actor), str(event.subject_id)
