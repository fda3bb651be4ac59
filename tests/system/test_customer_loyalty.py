"""Loyalty from the order stream, as the real processes run it: a customer's paid order earns
points that they see in the portal, the same OrderPaid delivered again earns nothing more,
points the customer redeems off a priced order's price come back when it is cancelled, another
customer sees none of it and cannot spend them, and a bad redemption is a problem that changes
nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pika
import pytest

from tests.system.stack import Stack
from tests.system.test_sales_orders import EXCHANGE, step
from tests.system.test_security import auth, register, staff_user


@pytest.fixture
def api(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.api, timeout=10) as client:
        yield client


@pytest.fixture
def paid_orders(stack: Stack) -> Iterator[pika.adapters.blocking_connection.BlockingChannel]:
    """A queue of this test's own, bound to sales' OrderPaid: the event as it was published."""
    connection = pika.BlockingConnection(pika.URLParameters(stack.amqp_url))
    channel = connection.channel()
    queue = channel.queue_declare("", exclusive=True).method.queue
    channel.queue_bind(queue, EXCHANGE, routing_key="crm.sales.v1.OrderPaid")
    channel.queue_name = queue  # type: ignore[attr-defined]
    yield channel
    connection.close()


def place(api: httpx.Client, token: str, title: str) -> str:
    placed = api.post("/api/v1/portal/orders", json={"title": title}, headers=auth(token))
    assert placed.status_code == 201, placed.text
    return str(placed.json()["id"])


def loyalty(api: httpx.Client, token: str) -> dict[str, Any]:
    response = api.get("/api/v1/portal/loyalty", headers=auth(token))
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_a_paid_order_earns_once_and_a_cancelled_order_gives_back_its_points(
    api: httpx.Client, stack: Stack, paid_orders: Any
) -> None:
    customer, other = register(api, stack, "Wu"), register(api, stack, "Sun")
    rep, manager = staff_user(api, stack, "sales_rep"), staff_user(api, stack, "manager")
    finance = staff_user(api, stack, "finance")
    order = place(api, customer.token, "Spring brochure")
    staff, own = f"/sales/orders/{order}", f"/portal/orders/{order}"
    step(api, rep, f"{staff}/confirm")
    step(api, rep, f"{staff}/proposal", {"proposal": "A 12-page brochure"})
    step(api, customer.token, f"{own}/approve-proposal")
    step(api, manager, f"{staff}/price", {"amount": {"currency_code": "CNY", "amount": "12345.60"}})
    step(api, customer.token, f"{own}/sign")
    step(api, rep, f"{staff}/sign")
    for number in range(1, 5):
        step(api, finance, f"{staff}/milestones/{number}/pay", {"reference": f"W{number}"})

    stack.wait_until(
        lambda: loyalty(api, customer.token)["balance"] == 1234,
        timeout=30, what="the paid order's points",
    )  # fmt: skip
    account = loyalty(api, customer.token)
    assert (account["tier"], account["earned_last_year"]) == ("silver", 1234)

    # the OrderPaid once more, as a redelivery would bring it
    published: list[bytes] = []
    stack.wait_until(
        lambda: bool(published.extend(
            body for method, _p, body in [paid_orders.basic_get(paid_orders.queue_name, True)]
            if method is not None
        ) or published),
        timeout=30, what="the OrderPaid on the broker",
    )  # fmt: skip
    paid_orders.basic_publish(
        EXCHANGE, "crm.sales.v1.OrderPaid", published[0],
        properties=pika.BasicProperties(content_type="application/cloudevents+protobuf"),
    )  # fmt: skip

    # points for a second order at its price, given back when it is cancelled
    second = place(api, customer.token, "Summer flyer")
    staff_second, own_second = f"/sales/orders/{second}", f"/portal/orders/{second}"
    step(api, rep, f"{staff_second}/confirm")
    step(api, rep, f"{staff_second}/proposal", {"proposal": "A folded flyer"})
    step(api, customer.token, f"{own_second}/approve-proposal")
    step(api, manager, f"{staff_second}/price",
         {"amount": {"currency_code": "CNY", "amount": "500.00"}})  # fmt: skip
    path = f"/api/v1{own_second}/loyalty-points"
    refused = api.post(path, json={"points": 0}, headers=auth(customer.token))
    too_many = api.post(path, json={"points": 5000}, headers=auth(customer.token))
    not_theirs = api.post(path, json={"points": 10}, headers=auth(other.token))
    redeemed = api.post(path, json={"points": 234}, headers=auth(customer.token))
    assert refused.status_code == 422
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert [e["field"] for e in refused.json()["errors"]] == ["points"]
    assert too_many.status_code == 409, too_many.text
    assert not_theirs.status_code == 404
    assert redeemed.status_code == 200, redeemed.text
    assert redeemed.json()["loyalty_discount"] == {
        "points": 234, "amount": {"currency_code": "CNY", "amount": "23.40"},
    }  # fmt: skip
    assert redeemed.json()["amount_due"] == {"currency_code": "CNY", "amount": "476.60"}
    assert loyalty(api, customer.token)["balance"] == 1000
    step(api, rep, f"{staff_second}/cancel", {"reason": "Not this summer"})

    stack.wait_until(
        lambda: loyalty(api, customer.token)["balance"] == 1234,
        timeout=30, what="the redeemed points back",
    )  # fmt: skip
    entries = api.get("/api/v1/portal/loyalty/entries", headers=auth(customer.token)).json()
    assert [(e["kind"], e["points"]) for e in reversed(entries["items"])] == [
        ("earned", 1234), ("redeemed", -234), ("restored", 234),
    ]  # fmt: skip
    theirs = api.get(f"/api/v1/customers/{customer.id}/loyalty", headers=auth(other.token))
    assert theirs.status_code == 404
    assert loyalty(api, other.token)["balance"] == 0
