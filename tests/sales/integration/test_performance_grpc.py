"""Targets, scorecards and expenses over real gRPC on PostgreSQL and SQLite. The scorecard is
read from the `opportunities` and `activities` tables as their own parts write them (rows put
straight in here); a manager sees the figures of the team they manage, and decides its
expenses, never their own."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import grpc
import pytest
import sqlalchemy as sa
from crm_platform.access import policy_of
from crm_platform.grpc_errors import ErrorDetails, details_of
from crm_platform.testing.grpc_servers import serving
from crm_platform.testing.tokens import bearer, staff_token
from crm_proto.crm.common.v1 import common_pb2
from crm_proto.crm.sales.v1 import (
    expenses_pb2,
    expenses_pb2_grpc,
    performance_pb2,
    performance_pb2_grpc,
)
from crm_sales.adapters import orm
from crm_sales.entrypoints import expenses_api, performance_api
from crm_sales.service_layer.expenses import ExpenseHandlers
from crm_sales.service_layer.performance import PerformanceHandlers
from sqlalchemy import Engine

from tests.customer.integration.support import outbox_events
from tests.sales.integration.conftest import unit_of_work
from tests.sales.integration.staffing import team

REP = staff_token("sales_rep", subject="rep-1")
OTHER_REP = staff_token("sales_rep", subject="rep-2")
MANAGER = staff_token("manager", subject="manager-1")
FINANCE = staff_token("finance", subject="finance-1")
P, E = performance_pb2, expenses_pb2
MARCH = datetime(2025, 3, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Stubs:
    performance: performance_pb2_grpc.PerformanceServiceStub
    expenses: expenses_pb2_grpc.ExpenseServiceStub


@pytest.fixture
def stubs(engine: Engine) -> Iterator[Stubs]:
    uow = unit_of_work(engine)
    bindings = [
        performance_api.binding(PerformanceHandlers(uow)),
        expenses_api.binding(ExpenseHandlers(uow)),
    ]
    policy = policy_of(performance_api.SERVICE, expenses_api.SERVICE)
    team(engine, "manager-1", "rep-1")
    with serving(bindings, policy) as target, grpc.insecure_channel(target) as channel:
        grpc.channel_ready_future(channel).result(timeout=10)
        yield Stubs(
            performance_pb2_grpc.PerformanceServiceStub(channel),
            expenses_pb2_grpc.ExpenseServiceStub(channel),
        )


def call(rpc: Any, token: str, request: Any) -> Any:
    return rpc(request, metadata=bearer(token), timeout=10)


def refused(rpc: Any, token: str, request: Any) -> ErrorDetails:
    with pytest.raises(grpc.RpcError) as error:
        rpc(request, metadata=bearer(token), timeout=10)
    return details_of(error.value)


def eur(amount: str) -> common_pb2.Money:
    return common_pb2.Money(currency_code="EUR", amount=amount)


def opportunity(
    engine: Engine, owner: str, status: str, cents: int | None, opened: datetime, closed: datetime
) -> None:
    with engine.begin() as connection:
        connection.execute(
            sa.insert(orm.opportunities).values(
                id=uuid.uuid4(), title="Deal", owner_id=owner, customer_id=uuid.uuid4(),
                stage="closed", status=status,
                amount=None if cents is None else Decimal(cents) / 100,
                currency=None if cents is None else "EUR", amount_cents=cents,
                probability_bp=10000 if status == "won" else 0, document={}, version=1,
                created_at=opened, updated_at=closed, closed_at=closed,
            )
        )  # fmt: skip


def activity(engine: Engine, owner: str, done_at: datetime | None) -> None:
    with engine.begin() as connection:
        connection.execute(
            sa.insert(orm.activities).values(
                id=uuid.uuid4(), owner_id=owner, kind="call", subject_kind="customer",
                subject_id=uuid.uuid4(), customer_id=None,
                state="scheduled" if done_at is None else "done",
                due_at=MARCH, done_at=done_at, outcome=None, document={}, version=1,
                created_at=MARCH, updated_at=MARCH,
            )
        )  # fmt: skip


def test_a_scorecard_sets_the_won_deals_of_the_period_against_the_target(
    engine: Engine, stubs: Stubs
) -> None:
    in_march = MARCH + timedelta(days=10)
    opportunity(engine, "rep-1", "won", 300000, in_march - timedelta(days=12), in_march)
    opportunity(engine, "rep-1", "won", 450050, in_march - timedelta(days=20), in_march)
    opportunity(engine, "rep-1", "lost", 100000, in_march - timedelta(days=3), in_march)
    opportunity(engine, "rep-1", "won", 999900, MARCH - timedelta(days=40), MARCH - timedelta(1))
    opportunity(engine, "rep-2", "won", 500000, MARCH, in_march)
    opportunity(engine, "rep-1", "open", 700000, MARCH, in_march)
    activity(engine, "rep-1", in_march)
    activity(engine, "rep-1", in_march + timedelta(hours=3))
    activity(engine, "rep-1", None)
    activity(engine, "rep-1", MARCH + timedelta(days=31))

    target = call(
        stubs.performance.SetSalesTarget, MANAGER,
        P.SetSalesTargetRequest(rep_id="rep-1", period="2025-03", amount=eur("10000.00")),
    )  # fmt: skip
    assert (target.set_by, target.version) == ("manager-1", 1)
    card = call(
        stubs.performance.GetRepScorecard,
        REP,
        P.GetRepScorecardRequest(rep_id="rep-1", period="2025-03"),
    )

    (won,) = card.won
    assert (won.won.amount, won.target.amount, won.attainment_percent) == (
        "7500.50", "10000.00", "75.01",
    )  # fmt: skip
    assert (card.won_count, card.lost_count, card.win_rate_percent) == (2, 1, "66.67")
    assert (card.average_cycle_days, card.activities_done) == ("16.0", 2)
    assert (card.starts_on, card.ends_on) == ("2025-03-01", "2025-03-31")


def test_whose_targets_and_scorecards_each_one_sees(engine: Engine, stubs: Stubs) -> None:
    for rep in ("rep-1", "rep-2"):
        call(
            stubs.performance.SetSalesTarget, staff_token("admin", subject="admin-1"),
            P.SetSalesTargetRequest(rep_id=rep, period="2025-Q1", amount=eur("1.00")),
        )  # fmt: skip
    outsider = P.SetSalesTargetRequest(rep_id="rep-2", period="2025-Q1", amount=eur("2.00"))
    assert refused(stubs.performance.SetSalesTarget, MANAGER, outsider).code == (
        grpc.StatusCode.PERMISSION_DENIED
    )

    def reps(token: str) -> list[str]:
        listed = call(stubs.performance.ListSalesTargets, token, P.ListSalesTargetsRequest())
        return [t.rep_id for t in listed.targets]

    assert reps(REP) == ["rep-1"]
    assert reps(MANAGER) == ["rep-1"]
    assert reps(FINANCE) == ["rep-1", "rep-2"]
    hidden = P.GetRepScorecardRequest(rep_id="rep-2", period="2025-Q1")
    assert refused(stubs.performance.GetRepScorecard, MANAGER, hidden).code == (
        grpc.StatusCode.NOT_FOUND
    )
    bad = refused(
        stubs.performance.GetRepScorecard,
        REP,
        P.GetRepScorecardRequest(rep_id="rep-1", period="2025-13"),
    )
    assert bad.code == grpc.StatusCode.INVALID_ARGUMENT
    assert [v.field for v in bad.violations] == ["period"]


def submitted(stubs: Stubs, token: str) -> expenses_pb2.Expense:
    return call(
        stubs.expenses.SubmitExpense, token,
        E.SubmitExpenseRequest(
            amount=eur("86.40"), category=E.EXPENSE_CATEGORY_MEALS,
            spent_on=datetime.now(UTC).date().isoformat(), description="Lunch with the buyer",
            deal_kind=E.DEAL_KIND_OPPORTUNITY, deal_id=str(uuid.uuid4()), receipt_reference="R-1",
        ),
    )  # fmt: skip


def test_an_expense_is_approved_by_the_reps_manager_and_reimbursed_by_finance(
    engine: Engine, stubs: Stubs
) -> None:
    expense = submitted(stubs, REP)
    step = E.ExpenseStepRequest(id=expense.id)

    assert refused(stubs.expenses.ApproveExpense, REP, step).code == (
        grpc.StatusCode.PERMISSION_DENIED
    )
    assert refused(
        stubs.expenses.GetExpense, OTHER_REP, E.GetExpenseRequest(id=expense.id)
    ).code == (grpc.StatusCode.NOT_FOUND)
    approved = call(stubs.expenses.ApproveExpense, MANAGER, step)
    assert (approved.state, approved.decided_by) == (E.EXPENSE_STATE_APPROVED, "manager-1")
    paid = call(
        stubs.expenses.ReimburseExpense, FINANCE,
        E.ReimburseExpenseRequest(id=expense.id, payment_reference="T-4471"),
    )  # fmt: skip

    assert (paid.state, paid.version, paid.amount.amount) == (
        E.EXPENSE_STATE_REIMBURSED,
        3,
        "86.40",
    )
    events = outbox_events(engine)
    assert [e.type.rsplit(".", 1)[-1] for e in events] == [
        "ExpenseSubmitted", "ExpenseApproved", "ExpenseReimbursed",
    ]  # fmt: skip
    assert [(e.message.version, e.message.actor.subject) for e in events] == [
        (1, "rep-1"), (2, "manager-1"), (3, "finance-1"),
    ]  # fmt: skip


def test_a_manager_does_not_approve_their_own_expense_nor_another_teams(
    engine: Engine, stubs: Stubs
) -> None:
    own = submitted(stubs, MANAGER)
    outside = submitted(stubs, OTHER_REP)

    mine = refused(stubs.expenses.ApproveExpense, MANAGER, E.ExpenseStepRequest(id=own.id))
    theirs = refused(stubs.expenses.ApproveExpense, MANAGER, E.ExpenseStepRequest(id=outside.id))

    assert mine.code == grpc.StatusCode.PERMISSION_DENIED
    assert theirs.code == grpc.StatusCode.NOT_FOUND  # not in their team: not theirs to see
    assert [e.type.rsplit(".", 1)[-1] for e in outbox_events(engine)] == ["ExpenseSubmitted"] * 2
