"""Who sees which sales record (service_layer/visibility.py), and outsourcing an order to a
partner: the one rule every part of the service applies."""

from __future__ import annotations

from uuid import uuid4

import pytest
from crm_platform.errors import FailedPrecondition, PermissionDenied
from crm_sales.domain import events
from crm_sales.domain.orders import Order, OrderState
from crm_sales.domain.values import Actor, ActorKind
from crm_sales.service_layer.visibility import Scope, scope_of

from tests.sales.unit.support import (
    ADMIN,
    CUSTOMER,
    CUSTOMER_ID,
    FINANCE,
    MANAGER,
    NOW,
    OTHER_CUSTOMER,
    REP,
    SERVICE,
    order_in,
    place,
)

PARTNER_ID = uuid4()
PARTNER_USER = Actor(
    "partner-user-1", ActorKind.PARTNER, frozenset({"partner_user"}), partner_id=PARTNER_ID
)
ANALYST = Actor("analyst-1", ActorKind.STAFF, frozenset({"analyst"}))
TEAMMATE = "rep-2"
STRANGER = "rep-9"


class Teams:
    """rep-1 and rep-2 work in one team that manager-1 manages."""

    def colleagues_of(self, subject: str) -> frozenset[str]:
        team = frozenset({"rep-1", TEAMMATE, "manager-1"})
        return team if subject in team else frozenset()


RECORDS = {
    "own": {"owner_id": "rep-1"},
    "teammate's": {"owner_id": TEAMMATE},
    "stranger's": {"owner_id": STRANGER},
    "unowned": {"owner_id": None},
    "the customer's": {"owner_id": STRANGER, "customer_id": CUSTOMER_ID},
    "the partner's": {"owner_id": STRANGER, "partner_id": PARTNER_ID},
}

SEES = {
    REP: {"own", "teammate's", "unowned"},
    MANAGER: {"own", "teammate's", "unowned"},
    ADMIN: set(RECORDS),
    FINANCE: set(RECORDS),
    ANALYST: set(RECORDS),
    CUSTOMER: {"the customer's"},
    OTHER_CUSTOMER: set(),
    PARTNER_USER: {"the partner's"},
    SERVICE: set(),
    Actor("nobody", ActorKind.CUSTOMER): set(),  # a customer token without a customer id
}


@pytest.mark.parametrize("actor", list(SEES), ids=lambda actor: actor.subject)
def test_each_caller_sees_exactly_their_records(actor: Actor) -> None:
    scope = scope_of(actor, Teams())

    seen = {name for name, record in RECORDS.items() if scope.admits(**record)}  # type: ignore[arg-type]

    assert seen == SEES[actor]


@pytest.mark.parametrize(
    "actor",
    [SERVICE, Actor("nobody", ActorKind.CUSTOMER), Actor("p", ActorKind.PARTNER)],
    ids=lambda actor: actor.subject,
)
def test_a_caller_with_nothing_to_see_has_an_empty_scope(actor: Actor) -> None:
    assert scope_of(actor, Teams()).is_empty


def test_a_rep_outside_every_team_sees_their_own_and_the_unowned() -> None:
    scope = scope_of(Actor(STRANGER, ActorKind.STAFF, frozenset({"sales_rep"})), Teams())

    assert scope == Scope(owner_ids=frozenset({STRANGER}), unowned=True)


def test_a_manager_outsources_an_order_and_takes_it_back() -> None:
    order = order_in(OrderState.CONFIRMED)
    version = order.version

    order.assign_partner(MANAGER, NOW, PARTNER_ID)
    order.assign_partner(MANAGER, NOW, PARTNER_ID)  # again: no change
    order.assign_partner(ADMIN, NOW, None)

    assigned, taken_back = order.pull_events()
    assert isinstance(assigned, events.OrderPartnerAssigned)
    assert (assigned.order.partner_id, assigned.previous_partner_id) == (PARTNER_ID, None)
    assert (taken_back.order.partner_id, taken_back.previous_partner_id) == (None, PARTNER_ID)
    assert (order.partner_id, order.version) == (None, version + 2)


@pytest.mark.parametrize("actor", [REP, CUSTOMER, PARTNER_USER, FINANCE], ids=lambda a: a.subject)
def test_only_a_manager_outsources_an_order(actor: Actor) -> None:
    order = place()

    with pytest.raises(PermissionDenied):
        order.assign_partner(actor, NOW, PARTNER_ID)
    assert (order.partner_id, order.version) == (None, 1)


@pytest.mark.parametrize("state", [OrderState.CLOSED, OrderState.CANCELLED])
def test_a_finished_order_is_not_outsourced(state: OrderState) -> None:
    order: Order = order_in(state)
    version = order.version

    with pytest.raises(FailedPrecondition):
        order.assign_partner(MANAGER, NOW, PARTNER_ID)
    assert (order.partner_id, order.version) == (None, version)
