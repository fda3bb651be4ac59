"""Expenses over SQLAlchemy Core: the columns they are found by, the decisions as a JSON
document. A stale version is a Conflict (ABORTED)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from crm_platform.errors import Conflict
from crm_platform.paging import Cursor
from sqlalchemy.orm import Session

from crm_sales.adapters.orm import expenses
from crm_sales.adapters.visibility import visible
from crm_sales.domain.expenses import Deal, DealKind, Expense, ExpenseCategory, ExpenseState
from crm_sales.domain.values import Money
from crm_sales.service_layer.expenses import ExpenseFilters
from crm_sales.service_layer.visibility import Scope


class SqlExpenseRepository:
    def __init__(self, session: Session, track: Callable[[Expense], None]) -> None:
        self.session = session
        self._track = track  # the unit of work's: it collects the events of what is read here
        self._loaded: dict[UUID, int] = {}

    def get(self, expense_id: UUID) -> Expense | None:
        row = self.session.execute(sa.select(expenses).where(expenses.c.id == expense_id)).first()
        return None if row is None else self._loaded_expense(row)

    def add(self, expense: Expense) -> None:
        self.session.execute(sa.insert(expenses).values(_values(expense)))
        self._loaded[expense.id] = expense.version
        self._track(expense)

    def save(self, expense: Expense) -> None:
        read = self._loaded[expense.id]
        if expense.version == read:
            return
        result: sa.CursorResult[Any] = self.session.execute(  # type: ignore[assignment]
            sa.update(expenses)
            .where(expenses.c.id == expense.id)
            .where(expenses.c.version == read)
            .values(_values(expense))
        )
        if result.rowcount != 1:
            raise Conflict(f"expense {expense.id} was changed concurrently; read it again")
        self._loaded[expense.id] = expense.version

    def list(
        self, scope: Scope, filters: ExpenseFilters, after: Cursor | None, limit: int
    ) -> list[Expense]:
        table = expenses
        statement = sa.select(table).where(visible(scope, table))
        if filters.owner_id is not None:
            statement = statement.where(table.c.owner_id == filters.owner_id)
        if filters.state is not None:
            statement = statement.where(table.c.state == filters.state.value)
        if after is not None:
            created_at, expense_id = after
            statement = statement.where(
                sa.tuple_(table.c.created_at, table.c.id)
                < sa.tuple_(
                    sa.literal(created_at, table.c.created_at.type),
                    sa.literal(expense_id, table.c.id.type),
                )
            )
        statement = statement.order_by(table.c.created_at.desc(), table.c.id.desc()).limit(limit)
        return [self._loaded_expense(row) for row in self.session.execute(statement)]

    def _loaded_expense(self, row: Any) -> Expense:
        document = row.document
        expense = Expense(
            id=row.id,
            owner_id=row.owner_id,
            amount=Money(Decimal(document["amount"]), row.currency),
            category=ExpenseCategory(row.category),
            spent_on=row.spent_on,
            description=document["description"],
            deal=None if row.deal_id is None else Deal(DealKind(row.deal_kind), row.deal_id),
            receipt_reference=document["receipt_reference"],
            state=ExpenseState(row.state),
            decided_by=document["decided_by"],
            decided_at=_time_of(document["decided_at"]),
            rejection_reason=document["rejection_reason"],
            reimbursed_by=document["reimbursed_by"],
            reimbursed_at=_time_of(document["reimbursed_at"]),
            payment_reference=document["payment_reference"],
            version=row.version,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )
        self._loaded[expense.id] = expense.version
        self._track(expense)
        return expense


def _values(expense: Expense) -> dict[str, Any]:
    return {
        "id": expense.id,
        "owner_id": expense.owner_id,
        "state": expense.state.value,
        "category": expense.category.value,
        "amount": expense.amount.amount,
        "currency": expense.amount.currency,
        "spent_on": expense.spent_on,
        "deal_kind": None if expense.deal is None else expense.deal.kind.value,
        "deal_id": None if expense.deal is None else expense.deal.id,
        "document": {
            "amount": str(expense.amount.amount),  # exact: the column is for queries
            "description": expense.description,
            "receipt_reference": expense.receipt_reference,
            "decided_by": expense.decided_by,
            "decided_at": _time(expense.decided_at),
            "rejection_reason": expense.rejection_reason,
            "reimbursed_by": expense.reimbursed_by,
            "reimbursed_at": _time(expense.reimbursed_at),
            "payment_reference": expense.payment_reference,
        },
        "version": expense.version,
        "created_at": expense.created_at,
        "updated_at": expense.updated_at,
    }


def _time(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _time_of(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)
