"""One order through the agency's whole workflow over REST, as the real processes run it: a
customer registers and places it in the portal, staff confirm and send proposals, the customer
asks for a revision and approves, a manager prices it, both sides sign, staff deliver, a
manager closes it and finance records the payments. The events arrive on the broker in order,
each with its actor; another customer sees none of it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pika
import pytest
from crm_platform.events import decode
from crm_proto.crm.sales.v1 import events_pb2  # noqa: F401 - registers the event types

from tests.system.stack import Stack
from tests.system.test_security import auth, claims, register, staff_user

EXCHANGE = "crm.events"


@pytest.fixture
def api(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.api, timeout=10) as client:
        yield client


@pytest.fixture
def sales_events(stack: Stack) -> Iterator[pika.adapters.blocking_connection.BlockingChannel]:
    """A queue of this test's own on crm.events, bound to every sales event."""
    connection = pika.BlockingConnection(pika.URLParameters(stack.amqp_url))
    channel = connection.channel()
    queue = channel.queue_declare("", exclusive=True).method.queue
    channel.queue_bind(queue, EXCHANGE, routing_key="crm.sales.v1.#")
    channel.queue_name = queue  # type: ignore[attr-defined]
    yield channel
    connection.close()


def received(stack: Stack, channel: Any, count: int) -> list[Any]:
    events: list[Any] = []

    def enough() -> bool:
        method, _properties, body = channel.basic_get(channel.queue_name, auto_ack=True)
        if method is not None:
            events.append(decode(body))
        return len(events) >= count

    stack.wait_until(enough, timeout=30, what=f"{count} sales events")
    return events


def step(api: httpx.Client, token: str, path: str, body: dict[str, Any] | None = None) -> Any:
    response = api.post(f"/api/v1{path}", json=body or {}, headers=auth(token))
    assert response.status_code == 200, response.text
    return response.json()


def test_an_order_walks_the_whole_workflow_through_rest(
    api: httpx.Client, stack: Stack, sales_events: Any
) -> None:
    customer = register(api, stack, "Chen")
    other = register(api, stack, "Zhao")
    rep = staff_user(api, stack, "sales_rep")
    manager = staff_user(api, stack, "manager")
    finance = staff_user(api, stack, "finance")

    placed = api.post(
        "/api/v1/portal/orders",
        json={"title": "Autumn catalogue", "description": "40 pages"},
        headers=auth(customer.token),
    )
    assert placed.status_code == 201, placed.text
    order = placed.json()
    assert placed.headers["Location"] == f"/api/v1/portal/orders/{order['id']}"
    assert (order["state"], order["customer_id"]) == ("placed", customer.id)
    staff_path, own_path = f"/sales/orders/{order['id']}", f"/portal/orders/{order['id']}"

    step(api, rep, f"{staff_path}/confirm")
    step(api, rep, f"{staff_path}/proposal", {"proposal": "A 40-page catalogue, matte"})
    revision = step(api, customer.token, f"{own_path}/request-revision", {"note": "Glossy"})
    assert revision["state"] == "revision_requested"
    step(api, rep, f"{staff_path}/proposal", {"proposal": "A 40-page catalogue, glossy"})
    approved = step(api, customer.token, f"{own_path}/approve-proposal")
    assert approved["allowed_steps"] == ["cancel"]  # the customer's next step waits for a price
    price = {"amount": {"currency_code": "CNY", "amount": "12000.00"}}
    step(api, manager, f"{staff_path}/price", price)
    step(api, customer.token, f"{own_path}/sign")
    signed = step(api, rep, f"{staff_path}/sign")
    assert signed["state"] == "contract_signed"
    assert [m["amount"]["amount"] for m in signed["milestones"]] == [
        "1200.00", "3000.00", "1200.00", "6600.00",
    ]  # fmt: skip
    for action in ("start-production", "deliver", "after-sales"):
        step(api, rep, f"{staff_path}/{action}")
    step(api, manager, f"{staff_path}/close")
    for number in range(1, 5):
        paid = step(
            api, finance, f"{staff_path}/milestones/{number}/pay", {"reference": f"B{number}"}
        )

    assert paid["state"] == "closed"
    assert all(m["paid_at"] for m in paid["milestones"])
    mine = api.get("/api/v1/portal/orders", headers=auth(customer.token)).json()
    assert [o["id"] for o in mine["items"]] == [order["id"]]
    theirs = api.get(f"/api/v1/portal/orders/{order['id']}", headers=auth(other.token))
    assert theirs.status_code == 404
    assert api.get("/api/v1/portal/orders", headers=auth(other.token)).json()["items"] == []

    events = received(stack, sales_events, 18)
    kinds = [event.type.rsplit(".", 1)[-1] for event in events]
    assert kinds == ["OrderPlaced", *["OrderStepTaken"] * 12, *["PaymentMilestonePaid"] * 4,
                     "OrderPaid"]  # fmt: skip
    versions = [event.message.version for event in events]
    assert versions == sorted(versions)
    assert events[0].message.actor.subject == claims(customer.token)["sub"]


def test_staff_order_only_for_a_customer_in_good_standing(api: httpx.Client, stack: Stack) -> None:
    customer = register(api, stack, "Qian")
    blacklisted = api.post(
        f"/api/v1/customers/{customer.id}/blacklist",
        json={"reason": "unpaid invoices"},
        headers=stack.headers(),
    )
    assert blacklisted.status_code == 200, blacklisted.text

    unknown = api.post(
        "/api/v1/sales/orders",
        json={"customer_id": str(uuid.uuid4()), "title": "Banner"},
        headers=stack.headers(),
    )
    refused = api.post(
        "/api/v1/sales/orders",
        json={"customer_id": customer.id, "title": "Banner"},
        headers=stack.headers(),
    )

    assert unknown.status_code == 422, unknown.text
    assert [e["field"] for e in unknown.json()["errors"]] == ["customer_id"]
    assert refused.status_code == 409, refused.text
    listed = api.get(f"/api/v1/sales/orders?customer_id={customer.id}", headers=stack.headers())
    assert listed.json()["items"] == []


def test_a_refused_step_is_a_problem_and_changes_nothing(api: httpx.Client, stack: Stack) -> None:
    customer = register(api, stack, "Sun")
    order = api.post(
        "/api/v1/portal/orders", json={"title": "Flyers"}, headers=auth(customer.token)
    ).json()
    own_path = f"/api/v1/portal/orders/{order['id']}"

    too_early = api.post(f"{own_path}/approve-proposal", json={}, headers=auth(customer.token))
    not_theirs = api.post(
        f"/api/v1/sales/orders/{order['id']}/confirm", json={}, headers=auth(customer.token)
    )
    blank = api.post(f"{own_path}/cancel", json={"reason": "  "}, headers=auth(customer.token))

    assert (too_early.status_code, not_theirs.status_code, blank.status_code) == (409, 403, 422)
    assert [e["field"] for e in blank.json()["errors"]] == ["reason"]
    again = api.get(own_path, headers=auth(customer.token)).json()
    assert (again["state"], again["version"]) == ("placed", 1)
