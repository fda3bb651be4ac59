"""Expenses <-> protobuf messages of crm.sales.v1 (expenses.proto), and their events."""

from __future__ import annotations

from crm_platform.enums import EnumCodec
from crm_platform.parsing import timestamp
from crm_proto.crm.common.v1 import common_pb2
from crm_proto.crm.sales.v1 import events_pb2, expenses_pb2
from google.protobuf.message import Message

from crm_sales.adapters.messages import money_to_proto
from crm_sales.domain.expenses import (
    DealKind,
    Expense,
    ExpenseApproved,
    ExpenseCategory,
    ExpenseEvent,
    ExpenseReimbursed,
    ExpenseRejected,
    ExpenseState,
    ExpenseSubmitted,
)

EXPENSE_CATEGORIES = EnumCodec(ExpenseCategory, expenses_pb2.ExpenseCategory)
EXPENSE_STATES = EnumCodec(ExpenseState, expenses_pb2.ExpenseState)
DEAL_KINDS = EnumCodec(DealKind, expenses_pb2.DealKind)


def expense_to_proto(expense: Expense) -> expenses_pb2.Expense:
    message = expenses_pb2.Expense(
        id=str(expense.id),
        owner_id=expense.owner_id,
        amount=money_to_proto(expense.amount),
        category=EXPENSE_CATEGORIES.to_proto(expense.category),
        spent_on=expense.spent_on.isoformat(),
        description=expense.description,
        deal_kind=DEAL_KINDS.to_proto(None if expense.deal is None else expense.deal.kind),
        deal_id="" if expense.deal is None else str(expense.deal.id),
        receipt_reference=expense.receipt_reference or "",
        state=EXPENSE_STATES.to_proto(expense.state),
        decided_by=expense.decided_by or "",
        rejection_reason=expense.rejection_reason or "",
        reimbursed_by=expense.reimbursed_by or "",
        payment_reference=expense.payment_reference or "",
        version=expense.version,
        created_at=timestamp(expense.created_at),
        updated_at=timestamp(expense.updated_at),
    )
    if expense.decided_at is not None:
        message.decided_at.CopyFrom(timestamp(expense.decided_at))
    if expense.reimbursed_at is not None:
        message.reimbursed_at.CopyFrom(timestamp(expense.reimbursed_at))
    return message


def event_message(event: ExpenseEvent, actor: common_pb2.Actor) -> Message:
    """The protobuf event of an expense's domain event."""
    expense_id, amount = str(event.subject_id), money_to_proto(event.amount)
    match event:
        case ExpenseSubmitted():
            return events_pb2.ExpenseSubmitted(
                expense_id=expense_id,
                owner_id=event.owner_id,
                amount=amount,
                category=EXPENSE_CATEGORIES.to_proto(event.category),
                deal_id="" if event.deal is None else str(event.deal.id),
                version=event.version,
                actor=actor,
            )
        case ExpenseApproved():
            return events_pb2.ExpenseApproved(
                expense_id=expense_id,
                owner_id=event.owner_id,
                amount=amount,
                version=event.version,
                actor=actor,
            )
        case ExpenseRejected():
            return events_pb2.ExpenseRejected(
                expense_id=expense_id,
                owner_id=event.owner_id,
                amount=amount,
                reason=event.rejection_reason or "",
                version=event.version,
                actor=actor,
            )
        case ExpenseReimbursed():
            return events_pb2.ExpenseReimbursed(
                expense_id=expense_id,
                owner_id=event.owner_id,
                amount=amount,
                payment_reference=event.payment_reference or "",
                version=event.version,
                actor=actor,
            )
    raise TypeError(f"no event message for {type(event).__name__}")
