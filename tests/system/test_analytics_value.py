"""Customer value through the real gateway over the real processes: orders a customer places
and pays through REST move them between RFM segments (no orders -> new customer -> champion)
and into a marketer's rule segment of champions, whose SegmentMembershipChanged reaches a queue
of this test's own on crm.events; the full recompute on demand keeps them there; who may not
read a customer's value or recompute is refused."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from crm_proto.crm.analytics.v1 import events_pb2

from tests.system.stack import Stack
from tests.system.test_analytics_segments import segment_events, wait_for_event
from tests.system.test_customer_loyalty import place
from tests.system.test_sales_orders import step
from tests.system.test_security import assert_problem, auth, register, staff_user

__all__ = ["segment_events"]  # the fixture, used by name

CHAMPIONS = {
    "groups": [
        {"conditions": [{"field": "rfm_segment", "operator": "eq", "values": ["champions"]}]}
    ]
}


@pytest.fixture
def api(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.api, timeout=30) as client:
        yield client


def value(api: httpx.Client, token: str, customer_id: str) -> dict[str, Any]:
    response = api.get(f"/api/v1/analytics/customers/{customer_id}/value", headers=auth(token))
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_paid_orders_move_a_customer_to_champion_and_into_a_marketers_segment(
    api: httpx.Client, stack: Stack, segment_events: Any
) -> None:
    customer = register(api, stack, "Qian")
    rep, manager = staff_user(api, stack, "sales_rep"), staff_user(api, stack, "manager")
    finance, marketer = staff_user(api, stack, "finance"), staff_user(api, stack, "marketer")
    analyst = staff_user(api, stack, "analyst")
    created = api.post(
        "/api/v1/analytics/segments", json={"name": "Champions", "rule": CHAMPIONS},
        headers=auth(marketer),
    )  # fmt: skip
    assert created.status_code == 201, created.text
    segment_id = created.json()["id"]
    stack.wait_until(
        lambda: api.get(f"/api/v1/analytics/customers/{customer.id}/value",
                        headers=auth(analyst)).status_code == 200,
        timeout=30, what="the registration in analytics",
    )  # fmt: skip
    assert value(api, analyst, customer.id)["rfm_segment"] == "no_orders"

    # the first order, priced, signed and paid in full
    order = place(api, customer.token, "Autumn catalogue")
    staff, own = f"/sales/orders/{order}", f"/portal/orders/{order}"
    step(api, rep, f"{staff}/confirm")
    step(api, rep, f"{staff}/proposal", {"proposal": "A 40-page catalogue"})
    step(api, customer.token, f"{own}/approve-proposal")
    step(api, manager, f"{staff}/price", {"amount": {"currency_code": "CNY", "amount": "8000.00"}})
    step(api, customer.token, f"{own}/sign")
    step(api, rep, f"{staff}/sign")
    for number in range(1, 5):
        step(api, finance, f"{staff}/milestones/{number}/pay", {"reference": f"V{number}"})
    stack.wait_until(
        lambda: value(api, analyst, customer.id)["clv"]["amount"] == "8000",
        timeout=30, what="the paid order in the customer's value",
    )  # fmt: skip
    first = value(api, analyst, customer.id)
    assert (first["rfm_segment"], first["recency_score"], first["frequency_score"]) == (
        "new_customer", 5, 1,
    )  # fmt: skip
    assert first["value_tier"] in ("silver", "gold", "platinum")

    # five more orders this week: frequent and recent
    for number in range(5):
        place(api, customer.token, f"Reprint {number}")
    joined = wait_for_event(
        stack,
        segment_events,
        lambda m: (
            isinstance(m, events_pb2.SegmentMembershipChanged)
            and m.customer_id == customer.id
            and m.segment_id == segment_id
        ),
        "the customer joining the champions",
    )
    assert joined.member is True
    assert value(api, analyst, customer.id)["rfm_segment"] == "champions"

    # measured again in full: the boundaries of the stack's population, the same segment
    recomputed = api.post("/api/v1/analytics/value/recompute", json={}, headers=auth(analyst))
    assert recomputed.status_code == 200, recomputed.text
    assert recomputed.json()["measured_at"] is not None
    assert value(api, analyst, customer.id)["rfm_segment"] == "champions"
    members = api.get(
        f"/api/v1/analytics/segments/{segment_id}/members", headers=auth(marketer)
    ).json()["items"]
    assert customer.id in members


def test_who_may_not_read_value_or_recompute_it(api: httpx.Client, stack: Stack) -> None:
    customer = register(api, stack, "Zhao")
    rep, marketer = staff_user(api, stack, "sales_rep"), staff_user(api, stack, "marketer")
    for token in (rep, customer.token):
        assert_problem(
            api.get(f"/api/v1/analytics/customers/{customer.id}/value", headers=auth(token)), 403
        )
    for token in (rep, marketer, customer.token):
        assert_problem(api.post("/api/v1/analytics/value/recompute", json={},
                                headers=auth(token)), 403)  # fmt: skip
    assert api.get("/api/v1/analytics/value", headers=auth(marketer)).status_code == 200
