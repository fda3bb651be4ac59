"""The expenses' gRPC servicer: request -> handler -> response."""

from __future__ import annotations

import grpc
from crm_platform import parsing
from crm_platform.errors import FieldViolation, ValidationFailed
from crm_platform.grpc_server import ServiceBinding
from crm_proto.crm.sales.v1 import expenses_pb2, expenses_pb2_grpc

from crm_sales.adapters.expenses_messages import (
    DEAL_KINDS,
    EXPENSE_CATEGORIES,
    EXPENSE_STATES,
    expense_to_proto,
)
from crm_sales.adapters.messages import money_from_proto
from crm_sales.domain.expenses import Deal
from crm_sales.entrypoints.actors import caller
from crm_sales.service_layer.expenses import Change, ExpenseFilters, ExpenseHandlers

SERVICE = expenses_pb2.DESCRIPTOR.services_by_name["ExpenseService"]


class ExpenseServicer(expenses_pb2_grpc.ExpenseServiceServicer):
    def __init__(self, expenses: ExpenseHandlers) -> None:
        self.expenses = expenses

    def SubmitExpense(
        self, request: expenses_pb2.SubmitExpenseRequest, context: grpc.ServicerContext
    ) -> expenses_pb2.Expense:
        spent_on = parsing.optional_date(request.spent_on, "spent_on")
        if spent_on is None:
            raise ValidationFailed(FieldViolation("spent_on", "is required"))
        expense = self.expenses.submit(
            caller(),
            amount=money_from_proto(request.amount, "amount"),
            category=EXPENSE_CATEGORIES.required(request.category, "category"),
            spent_on=spent_on,
            description=request.description,
            deal=_deal(request),
            receipt_reference=request.receipt_reference,
        )
        return expense_to_proto(expense)

    def GetExpense(
        self, request: expenses_pb2.GetExpenseRequest, context: grpc.ServicerContext
    ) -> expenses_pb2.Expense:
        return expense_to_proto(self.expenses.get(caller(), parsing.uuid(request.id, "id")))

    def ListExpenses(
        self, request: expenses_pb2.ListExpensesRequest, context: grpc.ServicerContext
    ) -> expenses_pb2.ListExpensesResponse:
        filters = ExpenseFilters(
            state=EXPENSE_STATES.optional(request.state, "state"),
            owner_id=request.owner_id.strip() or None,
        )
        page = self.expenses.list(
            caller(), filters, page_size=request.page.page_size, page_token=request.page.page_token
        )
        response = expenses_pb2.ListExpensesResponse(
            expenses=[expense_to_proto(expense) for expense in page.items]
        )
        response.page.next_page_token = page.next_page_token
        return response

    def ApproveExpense(
        self, request: expenses_pb2.ExpenseStepRequest, context: grpc.ServicerContext
    ) -> expenses_pb2.Expense:
        return self._change(
            request,
            lambda expense, actor, now, manages: expense.approve(actor, now, manages_owner=manages),
        )

    def RejectExpense(
        self, request: expenses_pb2.RejectExpenseRequest, context: grpc.ServicerContext
    ) -> expenses_pb2.Expense:
        return self._change(
            request,
            lambda expense, actor, now, manages: expense.reject(
                actor, now, request.reason, manages_owner=manages
            ),
        )

    def ReimburseExpense(
        self, request: expenses_pb2.ReimburseExpenseRequest, context: grpc.ServicerContext
    ) -> expenses_pb2.Expense:
        return self._change(
            request,
            lambda expense, actor, now, _manages: expense.reimburse(
                actor, now, request.payment_reference
            ),
        )

    def _change(self, request: _StepRequest, change: Change) -> expenses_pb2.Expense:
        expense = self.expenses.change(
            caller(), parsing.uuid(request.id, "id"), request.expected_version, change
        )
        return expense_to_proto(expense)


_StepRequest = (
    expenses_pb2.ExpenseStepRequest
    | expenses_pb2.RejectExpenseRequest
    | expenses_pb2.ReimburseExpenseRequest
)


def _deal(request: expenses_pb2.SubmitExpenseRequest) -> Deal | None:
    deal_id = parsing.optional_uuid(request.deal_id, "deal_id")
    kind = DEAL_KINDS.optional(request.deal_kind, "deal_kind")
    if deal_id is None and kind is None:
        return None
    if deal_id is None:
        raise ValidationFailed(FieldViolation("deal_id", "is required with deal_kind"))
    if kind is None:
        raise ValidationFailed(FieldViolation("deal_kind", "is required with deal_id"))
    return Deal(kind, deal_id)


def binding(expenses: ExpenseHandlers) -> ServiceBinding:
    return ServiceBinding(
        SERVICE.full_name,
        ExpenseServicer(expenses),
        expenses_pb2_grpc.add_ExpenseServiceServicer_to_server,
    )
