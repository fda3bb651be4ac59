"""The expense use cases: a rep submits their own; a manager of the rep's team (or an admin)
approves or rejects it; finance reimburses it.

Who sees which expense is the service's one rule (service_layer/visibility.py): one the
caller may not see is NOT_FOUND, and lists hold only the visible ones.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Protocol
from uuid import UUID

from crm_platform import paging
from crm_platform.errors import Conflict, NotFound
from crm_platform.paging import Cursor, Page

from crm_sales.domain.expenses import Deal, Expense, ExpenseCategory, ExpenseState
from crm_sales.domain.values import Actor, Money
from crm_sales.service_layer.ports import UnitOfWork
from crm_sales.service_layer.visibility import Scope, scope_of


@dataclass(frozen=True)
class ExpenseFilters:
    state: ExpenseState | None = None
    owner_id: str | None = None


class ExpenseRepository(Protocol):
    def get(self, expense_id: UUID) -> Expense | None: ...

    def add(self, expense: Expense) -> None: ...

    def save(self, expense: Expense) -> None: ...

    def list(
        self, scope: Scope, filters: ExpenseFilters, after: Cursor | None, limit: int
    ) -> list[Expense]:
        """Visible to `scope`, newest first, before the cursor (created_at, id)."""
        ...


class ManagedStaff(Protocol):
    """Who manages whom: the members of the teams a staff member manages."""

    def managed_by(self, manager: str) -> frozenset[str]: ...


class ExpenseUnitOfWork(UnitOfWork, Protocol):
    @property
    def expenses(self) -> ExpenseRepository: ...

    @property
    def managed_staff(self) -> ManagedStaff: ...


Change = Callable[[Expense, Actor, datetime, bool], None]


class ExpenseHandlers:
    def __init__(
        self,
        uow_factory: Callable[[], ExpenseUnitOfWork],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.uow_factory = uow_factory
        self.clock = clock

    def submit(
        self,
        actor: Actor,
        *,
        amount: Money,
        category: ExpenseCategory,
        spent_on: date,
        description: str,
        deal: Deal | None,
        receipt_reference: str,
    ) -> Expense:
        expense = Expense.submit(
            id=uuid.uuid4(),
            amount=amount,
            category=category,
            spent_on=spent_on,
            description=description,
            deal=deal,
            receipt_reference=receipt_reference,
            actor=actor,
            now=self.clock(),
        )
        with self.uow_factory() as uow:
            uow.expenses.add(expense)
            uow.commit()
        return expense

    def get(self, actor: Actor, expense_id: UUID) -> Expense:
        with self.uow_factory() as uow:
            return _visible(uow, actor, expense_id)

    def list(
        self, actor: Actor, filters: ExpenseFilters, *, page_size: int, page_token: str
    ) -> Page[Expense]:
        limit = paging.page_size(page_size)
        after = paging.decode_cursor(page_token)
        with self.uow_factory() as uow:
            rows = uow.expenses.list(scope_of(actor, uow.teams), filters, after, limit + 1)
        return paging.page_of(rows, limit, lambda expense: (expense.created_at, expense.id))

    def change(
        self, actor: Actor, expense_id: UUID, expected_version: int, change: Change
    ) -> Expense:
        """One step on the expense, if it is still at `expected_version` (0: any); the step
        learns whether the actor manages the expense's rep."""
        with self.uow_factory() as uow:
            expense = _visible(uow, actor, expense_id)
            if expected_version and expected_version != expense.version:
                raise Conflict(
                    f"expense {expense_id} is at version {expense.version}, not {expected_version}"
                )
            manages = expense.owner_id in uow.managed_staff.managed_by(actor.subject)
            change(expense, actor, self.clock(), manages)
            uow.expenses.save(expense)
            uow.commit()
        return expense


def _visible(uow: ExpenseUnitOfWork, actor: Actor, expense_id: UUID) -> Expense:
    expense = uow.expenses.get(expense_id)
    if expense is None or not scope_of(actor, uow.teams).admits(owner_id=expense.owner_id):
        raise NotFound(f"no expense {expense_id}")
    return expense
