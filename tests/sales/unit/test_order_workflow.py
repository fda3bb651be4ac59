"""The order workflow: who may take which step from which state, what a step changes and
records, and that a refused step changes nothing."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from uuid import uuid4

import pytest
from crm_platform.errors import FailedPrecondition, PermissionDenied, ValidationFailed
from crm_sales.domain import events
from crm_sales.domain.contracts import DEFAULT_TERMS, Anchor, PaymentTerms, TermKind, TermLine
from crm_sales.domain.orders import Order, OrderState, OrderStep
from crm_sales.domain.values import Actor

from tests.sales.unit.support import (
    ACTORS,
    ADMIN,
    CUSTOMER,
    CUSTOMER_ID,
    FINANCE,
    MANAGER,
    NOW,
    OTHER_CUSTOMER,
    PARTNER,
    REP,
    TAKE,
    TOTAL,
    money,
    order_in,
    place,
)

S = OrderState
STAFF = {"sales_rep", "manager", "admin"}
MANAGERS = {"manager", "admin"}
OWN_CUSTOMER = {"customer"}
BEFORE_CONTRACT = {
    S.PLACED,
    S.CONFIRMED,
    S.PROPOSAL_SENT,
    S.REVISION_REQUESTED,
    S.PROPOSAL_APPROVED,
    S.PRICED,
}
# The workflow as the business states it: step -> (from states, to state, who).
WORKFLOW: dict[OrderStep, tuple[set[OrderState], OrderState, set[str]]] = {
    OrderStep.CONFIRM: ({S.PLACED}, S.CONFIRMED, STAFF),
    OrderStep.SEND_PROPOSAL: ({S.CONFIRMED, S.REVISION_REQUESTED}, S.PROPOSAL_SENT, STAFF),
    OrderStep.REQUEST_REVISION: ({S.PROPOSAL_SENT}, S.REVISION_REQUESTED, OWN_CUSTOMER),
    OrderStep.APPROVE_PROPOSAL: ({S.PROPOSAL_SENT}, S.PROPOSAL_APPROVED, OWN_CUSTOMER),
    OrderStep.PRICE: ({S.PROPOSAL_APPROVED}, S.PRICED, MANAGERS),
    # the first of the two signatures: the order stays priced
    OrderStep.SIGN_CONTRACT: ({S.PRICED}, S.PRICED, STAFF | OWN_CUSTOMER),
    OrderStep.START_PRODUCTION: ({S.CONTRACT_SIGNED}, S.IN_PRODUCTION, STAFF),
    OrderStep.DELIVER: ({S.IN_PRODUCTION}, S.DELIVERED, STAFF),
    OrderStep.START_AFTER_SALES: ({S.DELIVERED}, S.AFTER_SALES, STAFF),
    OrderStep.CLOSE: ({S.DELIVERED, S.AFTER_SALES}, S.CLOSED, MANAGERS),
    OrderStep.CANCEL: (BEFORE_CONTRACT, S.CANCELLED, STAFF | OWN_CUSTOMER),
}
LATER = NOW + timedelta(days=30)


def assert_unchanged(order: Order, before: Order) -> None:
    assert order == before
    assert order.snapshot() == before.snapshot()
    assert order.version == before.version
    assert order.pull_events() == []


def violated_fields(error: pytest.ExceptionInfo[ValidationFailed]) -> set[str]:
    return {v.field for v in error.value.violations}


@pytest.mark.parametrize("actor_name", ACTORS)
@pytest.mark.parametrize("step", OrderStep)
@pytest.mark.parametrize("state", OrderState)
def test_each_step_is_taken_exactly_by_whom_and_from_where_the_workflow_says(
    state: OrderState, step: OrderStep, actor_name: str
) -> None:
    order = order_in(state)
    actor = ACTORS[actor_name]
    sources, target, who = WORKFLOW[step]
    allowed = state in sources and actor_name in who
    assert (step in order.allowed_steps(actor)) is allowed
    before = copy.deepcopy(order)

    if not allowed:
        refusal = PermissionDenied if actor_name not in who else FailedPrecondition
        with pytest.raises(refusal, match=step.value if refusal is PermissionDenied else state):
            TAKE[step](order, actor, LATER)
        assert_unchanged(order, before)
        return

    TAKE[step](order, actor, LATER)

    assert order.state is target
    assert order.version == before.version + 1
    assert order.updated_at == LATER
    assert order.history[:-1] == before.history
    record = order.history[-1]
    assert (record.step, record.actor, record.at) == (step, actor, LATER)
    assert (record.from_state, record.to_state) == (state, target)
    [event] = order.pull_events()
    assert isinstance(event, events.OrderStepTaken | events.OrderCancelled)
    assert event.actor == actor
    assert (event.order_id, event.version) == (order.id, order.version)
    assert event.order == order.snapshot()
    if isinstance(event, events.OrderStepTaken):
        assert (event.step, event.from_state, event.to_state) == (step, state, target)


@pytest.mark.parametrize(
    "signers", [(CUSTOMER, REP), (REP, CUSTOMER)], ids=["customer first", "company first"]
)
def test_the_whole_happy_path_with_a_revision_round_trip(signers: tuple[Actor, Actor]) -> None:
    order = place()
    at = iter(NOW + timedelta(days=day) for day in range(1, 20))

    order.confirm(REP, next(at))
    order.send_proposal(REP, next(at), "  Oak, for six  ")
    order.request_revision(CUSTOMER, next(at), "Walnut, please, for eight")
    order.send_proposal(REP, next(at), "Walnut, for eight")
    order.approve_proposal(CUSTOMER, next(at))
    order.price(MANAGER, next(at), TOTAL, DEFAULT_TERMS)
    first, second = signers
    order.sign_contract(first, next(at))
    assert (order.history[-1].to_state, order.milestones) == (S.PRICED, [])
    signed_at = next(at)
    order.sign_contract(second, signed_at)
    assert order.history[-1].to_state is S.CONTRACT_SIGNED
    assert [m.amount for m in order.milestones] == [
        money("100.00"),
        money("250.00"),
        money("100.00"),
        money("550.00"),
    ]
    assert order.milestones[0].due_date == signed_at.date()
    order.start_production(REP, next(at))
    order.deliver(REP, next(at))
    order.start_after_sales(REP, next(at))
    order.close(ADMIN, next(at))

    assert order.state is S.CLOSED
    assert order.proposal == "Walnut, for eight"
    assert order.revisions == 1
    assert order.customer_signature is not None
    assert order.customer_signature.by == CUSTOMER.subject
    assert order.company_signature is not None
    assert order.company_signature.by == REP.subject
    assert [r.to_state for r in order.history] == [
        S.CONFIRMED,
        S.PROPOSAL_SENT,
        S.REVISION_REQUESTED,
        S.PROPOSAL_SENT,
        S.PROPOSAL_APPROVED,
        S.PRICED,
        S.PRICED,
        S.CONTRACT_SIGNED,
        S.IN_PRODUCTION,
        S.DELIVERED,
        S.AFTER_SALES,
        S.CLOSED,
    ]
    assert order.history[2].note == "Walnut, please, for eight"
    assert order.version == 1 + len(order.history)
    recorded = order.pull_events()
    assert isinstance(recorded[0], events.OrderPlaced)
    assert [type(e) for e in recorded[1:]] == [events.OrderStepTaken] * len(order.history)
    versions = [
        e.version for e in recorded if isinstance(e, events.OrderPlaced | events.OrderStepTaken)
    ]
    assert versions == list(range(1, order.version + 1))
    assert order.pull_events() == []


def test_each_side_signs_once() -> None:
    order = order_in(S.PRICED)
    order.sign_contract(CUSTOMER, LATER)
    order.pull_events()
    before = copy.deepcopy(order)

    with pytest.raises(FailedPrecondition, match="customer side"):
        order.sign_contract(CUSTOMER, LATER)
    assert order.allowed_steps(CUSTOMER) == [OrderStep.CANCEL]
    assert order.allowed_steps(MANAGER) == [OrderStep.SIGN_CONTRACT, OrderStep.CANCEL]
    assert_unchanged(order, before)

    order.sign_contract(MANAGER, LATER)
    assert order.state is S.CONTRACT_SIGNED


def test_a_second_staff_member_cannot_sign_the_company_side_again() -> None:
    order = order_in(S.PRICED)
    order.sign_contract(REP, LATER)
    order.pull_events()
    before = copy.deepcopy(order)

    with pytest.raises(FailedPrecondition, match="company side"):
        order.sign_contract(ADMIN, LATER)
    assert_unchanged(order, before)


def test_placing_an_order() -> None:
    order = Order.place(
        id=uuid4(),
        customer_id=CUSTOMER_ID,
        title="  Dining table ",
        description="",
        owner_id=" ",
        actor=CUSTOMER,
        now=NOW,
    )

    assert (order.state, order.version, order.title, order.owner_id) == (
        S.PLACED,
        1,
        "Dining table",
        None,
    )
    assert (order.created_at, order.updated_at) == (NOW, NOW)
    assert order.history == []
    assert order.pull_events() == [events.OrderPlaced(order.snapshot())]


@pytest.mark.parametrize("actor", [OTHER_CUSTOMER, PARTNER, FINANCE], ids=lambda a: a.subject)
def test_only_staff_and_the_customer_themselves_place_orders(actor: Actor) -> None:
    with pytest.raises(PermissionDenied):
        place(actor=actor)


def test_placing_reports_every_bad_field() -> None:
    with pytest.raises(ValidationFailed) as error:
        Order.place(
            id=uuid4(),
            customer_id=CUSTOMER_ID,
            title=" ",
            description="x" * 4001,
            owner_id="r" * 101,
            actor=REP,
            now=NOW,
        )
    assert violated_fields(error) == {"title", "description", "owner_id"}


def test_a_title_of_200_characters_is_the_longest() -> None:
    assert place().title == "Dining table"
    with pytest.raises(ValidationFailed):
        Order.place(
            id=uuid4(),
            customer_id=CUSTOMER_ID,
            title="t" * 201,
            description="",
            owner_id=None,
            actor=REP,
            now=NOW,
        )


@pytest.mark.parametrize(
    ("state", "take", "field"),
    [
        (S.CONFIRMED, lambda o: o.send_proposal(REP, LATER, " \n "), "proposal"),
        (S.CONFIRMED, lambda o: o.send_proposal(REP, LATER, "p" * 10001), "proposal"),
        (S.PROPOSAL_SENT, lambda o: o.request_revision(CUSTOMER, LATER, ""), "note"),
        (S.PROPOSAL_SENT, lambda o: o.request_revision(CUSTOMER, LATER, "n" * 2001), "note"),
        (S.PLACED, lambda o: o.cancel(CUSTOMER, LATER, "  "), "reason"),
        (S.PRICED, lambda o: o.cancel(REP, LATER, "r" * 501), "reason"),
        (
            S.PROPOSAL_APPROVED,
            lambda o: o.price(MANAGER, LATER, money("0"), DEFAULT_TERMS),
            "amount",
        ),
        (
            S.PROPOSAL_APPROVED,
            lambda o: o.price(
                MANAGER,
                LATER,
                money("100.00"),
                PaymentTerms(
                    "Deposit",
                    (
                        TermLine("Deposit", TermKind.FIXED, Decimal("150.00"), Anchor.SIGNING),
                        TermLine("Rest", TermKind.BALANCE, None, Anchor.ACCEPTANCE),
                    ),
                ),
            ),
            "terms",
        ),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(
    state: OrderState, take: Callable[[Order], None], field: str
) -> None:
    order = order_in(state)
    before = copy.deepcopy(order)

    with pytest.raises(ValidationFailed) as error:
        take(order)

    assert violated_fields(error) == {field}
    assert_unchanged(order, before)


def test_the_longest_texts_are_accepted() -> None:
    order = order_in(S.CONFIRMED)
    order.send_proposal(REP, LATER, "p" * 10000)
    order.request_revision(CUSTOMER, LATER, "n" * 2000)
    order.cancel(CUSTOMER, LATER, "r" * 500)
    assert (len(order.proposal or ""), order.cancel_reason) == (10000, "r" * 500)


def test_cancelling_records_the_reason_and_who() -> None:
    order = order_in(S.PROPOSAL_SENT)

    order.cancel(CUSTOMER, LATER, "  Found another maker ")

    assert order.cancel_reason == "Found another maker"
    assert order.history[-1].note == "Found another maker"
    assert order.pull_events() == [
        events.OrderCancelled(order.snapshot(), "Found another maker", CUSTOMER)
    ]
    assert order.allowed_steps(CUSTOMER) == []
    assert order.allowed_steps(ADMIN) == []


def test_a_revision_request_carries_its_note() -> None:
    order = order_in(S.PROPOSAL_SENT)

    order.request_revision(CUSTOMER, LATER, "Could it seat ten?")

    [event] = order.pull_events()
    assert isinstance(event, events.OrderStepTaken)
    assert (event.note, event.order.revisions) == ("Could it seat ten?", 1)


def test_pricing_keeps_the_amount_and_terms() -> None:
    order = order_in(S.PRICED)
    assert (order.amount, order.terms) == (TOTAL, DEFAULT_TERMS)
    assert order.snapshot().amount == TOTAL


def test_a_snapshot_does_not_follow_later_changes() -> None:
    order = place()
    snapshot = order.snapshot()

    order.confirm(REP, LATER)

    assert (snapshot.state, snapshot.version) == (S.PLACED, 1)


def test_allowed_steps_for_the_ui() -> None:
    assert place().allowed_steps(REP) == [OrderStep.CONFIRM, OrderStep.CANCEL]
    assert place().allowed_steps(CUSTOMER) == [OrderStep.CANCEL]
    assert place().allowed_steps(OTHER_CUSTOMER) == []
    sent = order_in(S.PROPOSAL_SENT)
    assert sent.allowed_steps(CUSTOMER) == [
        OrderStep.REQUEST_REVISION,
        OrderStep.APPROVE_PROPOSAL,
        OrderStep.CANCEL,
    ]
    assert order_in(S.DELIVERED).allowed_steps(MANAGER) == [
        OrderStep.START_AFTER_SALES,
        OrderStep.CLOSE,
    ]
    assert order_in(S.DELIVERED).allowed_steps(REP) == [OrderStep.START_AFTER_SALES]
