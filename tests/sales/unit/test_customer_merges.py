"""A customer merged into another: the merged customer's opportunities and orders become the
survivor's, each with an event, whatever their state (service_layer/customer_merges.py; leads
in test_leads.py, the whole move over the broker in tests/sales/integration)."""

from __future__ import annotations

import uuid

import pytest
from crm_sales.domain import events
from crm_sales.domain.opportunities import OpportunityUpdated
from crm_sales.domain.orders import OrderState
from crm_sales.domain.values import Actor, ActorKind

from tests.sales.unit.support import CUSTOMER_ID, NOW, order_in
from tests.sales.unit.test_opportunities import deal

MERGER = Actor("customer-service", ActorKind.SERVICE)


@pytest.mark.parametrize("state", [OrderState.PLACED, OrderState.CLOSED, OrderState.CANCELLED])
def test_an_order_in_any_state_moves_to_the_survivor_once(state: OrderState) -> None:
    order = order_in(state)
    version, survivor = order.version, uuid.uuid4()

    order.relink_customer(MERGER, NOW, survivor)
    order.relink_customer(MERGER, NOW, survivor)  # a redelivered merge: no change

    (changed,) = order.pull_events()
    assert isinstance(changed, events.OrderCustomerChanged)
    assert (changed.order.customer_id, changed.previous_customer_id) == (survivor, CUSTOMER_ID)
    assert (order.customer_id, order.version, changed.actor) == (survivor, version + 1, MERGER)


def test_an_opportunity_moves_to_the_survivor_once() -> None:
    opportunity = deal()
    opportunity.pull_events()
    survivor = uuid.uuid4()

    opportunity.relink_customer(MERGER, NOW, survivor)
    opportunity.relink_customer(MERGER, NOW, survivor)

    (changed,) = opportunity.pull_events()
    assert isinstance(changed, OpportunityUpdated)
    assert (changed.opportunity.customer_id, opportunity.version) == (survivor, 2)
