"""Expenses: a rep's own, decided by a manager of their team or an admin (never by the rep),
reimbursed by finance once approved; each change an event with its actor and version."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import uuid4

import pytest
from crm_platform.errors import FailedPrecondition, PermissionDenied, ValidationFailed
from crm_sales.domain.expenses import (
    Deal,
    DealKind,
    Expense,
    ExpenseApproved,
    ExpenseCategory,
    ExpenseReimbursed,
    ExpenseRejected,
    ExpenseState,
    ExpenseSubmitted,
)
from crm_sales.domain.values import Actor, ActorKind

from tests.sales.unit.support import ADMIN, CUSTOMER, FINANCE, MANAGER, NOW, REP, money

TODAY = NOW.date()
OTHER_MANAGER = Actor("manager-2", ActorKind.STAFF, frozenset({"manager"}))


def submit(*, spent_on: date = TODAY, amount: str = "86.40", actor: Actor = REP) -> Expense:
    return Expense.submit(
        id=uuid4(),
        amount=money(amount),
        category=ExpenseCategory.MEALS,
        spent_on=spent_on,
        description="Lunch with the buyer",
        deal=Deal(DealKind.OPPORTUNITY, uuid4()),
        receipt_reference="R-2025-001",
        actor=actor,
        now=NOW,
    )


def test_a_rep_submits_their_own_expense() -> None:
    expense = submit()

    assert (expense.owner_id, expense.state, expense.version) == (
        REP.subject, ExpenseState.SUBMITTED, 1,
    )  # fmt: skip
    (event,) = expense.pull_events()
    assert isinstance(event, ExpenseSubmitted)
    assert (event.subject_id, event.actor, event.amount) == (expense.id, REP, money("86.40"))


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("spent_on", {"spent_on": NOW.date() + timedelta(days=1)}),
        ("amount.amount", {"amount": "0"}),
    ],
)
def test_a_bad_expense_names_its_field(field: str, kwargs: dict[str, object]) -> None:
    with pytest.raises(ValidationFailed) as refused:
        submit(**kwargs)  # type: ignore[arg-type]

    assert [v.field for v in refused.value.violations] == [field]


def test_only_staff_submit_expenses() -> None:
    with pytest.raises(PermissionDenied):
        submit(actor=CUSTOMER)


def test_a_manager_of_the_reps_team_approves_and_finance_reimburses() -> None:
    expense = submit()
    expense.pull_events()

    expense.approve(MANAGER, NOW, manages_owner=True)
    with pytest.raises(PermissionDenied):
        expense.reimburse(MANAGER, NOW, "T-1")
    expense.reimburse(FINANCE, NOW, "Transfer 4471")

    assert expense.state is ExpenseState.REIMBURSED
    assert (expense.decided_by, expense.reimbursed_by) == (MANAGER.subject, FINANCE.subject)
    events = expense.pull_events()
    assert [type(e) for e in events] == [ExpenseApproved, ExpenseReimbursed]
    assert [(e.version, e.actor) for e in events] == [(2, MANAGER), (3, FINANCE)]  # type: ignore[attr-defined]


def test_a_manager_of_another_team_may_not_decide() -> None:
    expense = submit()

    with pytest.raises(PermissionDenied):
        expense.approve(OTHER_MANAGER, NOW, manages_owner=False)
    with pytest.raises(PermissionDenied):
        expense.reject(OTHER_MANAGER, NOW, "no", manages_owner=False)

    assert (expense.state, expense.version) == (ExpenseState.SUBMITTED, 1)


def test_an_admin_decides_for_any_team() -> None:
    expense = submit()

    expense.reject(ADMIN, NOW, "No receipt attached", manages_owner=False)

    assert (expense.state, expense.rejection_reason) == (
        ExpenseState.REJECTED, "No receipt attached",
    )  # fmt: skip
    assert isinstance(expense.pull_events()[-1], ExpenseRejected)


def test_nobody_approves_their_own_expense() -> None:
    expense = submit(actor=MANAGER)

    with pytest.raises(PermissionDenied, match="own"):
        expense.approve(MANAGER, NOW, manages_owner=True)


def test_a_rep_may_not_decide_even_in_their_team() -> None:
    with pytest.raises(PermissionDenied):
        submit().approve(Actor("rep-2", ActorKind.STAFF, frozenset({"sales_rep"})), NOW,
                         manages_owner=True)  # fmt: skip


def test_a_decided_expense_is_not_decided_again_and_only_approved_is_reimbursed() -> None:
    rejected = submit()
    rejected.reject(MANAGER, NOW, "Duplicate", manages_owner=True)

    with pytest.raises(FailedPrecondition):
        rejected.approve(MANAGER, NOW, manages_owner=True)
    with pytest.raises(FailedPrecondition):
        rejected.reimburse(FINANCE, NOW, "T-2")
    with pytest.raises(FailedPrecondition):
        submit().reimburse(FINANCE, NOW, "T-3")
