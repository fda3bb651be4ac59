"""Privacy across every service, as the real processes run it: a customer with records in every
service that keeps personal data (a portal login, an order, an opportunity, a case, the
marketing contact and the analytics facts their registration made) exports one section per
service with their data; an admin erases them; every service confirms; the export then shows
nothing personal, with the consent history kept. Only admins export anyone's data or erase, a
customer exports only their own, and a CustomerErased delivered again confirms nothing twice.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pika
import pytest
from crm_platform.events import decode, load_event_types
from crm_platform.privacy import ERASED, personal_data_services
from crm_proto.crm.privacy.v1 import events_pb2 as privacy_events

from tests.system.stack import Stack
from tests.system.test_sales_orders import EXCHANGE
from tests.system.test_security import (
    PASSWORD,
    Registered,
    assert_problem,
    auth,
    register,
    staff_user,
)

SERVICES = set(personal_data_services())
CASE_TEXT = "The sofa is scratched; call me on my mobile"


@pytest.fixture
def api(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.api, timeout=15) as client:
        yield client


@pytest.fixture
def privacy_events_seen(
    stack: Stack,
) -> Iterator[pika.adapters.blocking_connection.BlockingChannel]:
    """A queue of this test's own, bound to the erasure's events as they are published."""
    load_event_types()
    connection = pika.BlockingConnection(pika.URLParameters(stack.amqp_url))
    channel = connection.channel()
    queue = channel.queue_declare("", exclusive=True).method.queue
    for key in ("crm.customer.v1.CustomerErased", "crm.privacy.v1.PersonalDataErased"):
        channel.queue_bind(queue, EXCHANGE, routing_key=key)
    channel.queue_name = queue  # type: ignore[attr-defined]
    yield channel
    connection.close()


def drain(channel: Any) -> list[bytes]:
    bodies = []
    while True:
        method, _properties, body = channel.basic_get(channel.queue_name, auto_ack=True)
        if method is None:
            return bodies
        bodies.append(body)


def export(api: httpx.Client, stack: Stack, customer_id: str) -> dict[str, Any]:
    response = api.get(f"/api/v1/customers/{customer_id}/export", headers=stack.headers())
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    return document


def has_every_record(document: dict[str, Any]) -> bool:
    sections = document["sections"]
    return bool(
        sections["sales"]["data"]["orders"]
        and sections["sales"]["data"]["opportunities"]
        and sections["service"]["data"]["cases"]
        and sections["marketing"]["data"]["contact"]
        and sections["analytics"]["data"]["customer"]
        and sections["identity"]["data"]["account"]
    )


def customer_with_records(api: httpx.Client, stack: Stack, name: str) -> Registered:
    customer = register(api, stack, name)
    consent = api.put(
        "/api/v1/portal/me/consents/email", json={"granted": True}, headers=auth(customer.token)
    )
    assert consent.status_code == 200, consent.text
    order = api.post(
        "/api/v1/portal/orders", json={"title": "Spring brochure"}, headers=auth(customer.token)
    )
    assert order.status_code == 201, order.text
    deal = api.post(
        "/api/v1/sales/opportunities",
        json={
            "customer_id": customer.id, "title": "Autumn catalogue",
            "amount": {"currency_code": "CNY", "amount": "2500.50"},
        },
        headers=auth(staff_user(api, stack, "sales_rep")),
    )  # fmt: skip
    assert deal.status_code == 201, deal.text
    case = api.post(
        "/api/v1/service/cases",
        json={"type": "complaint", "priority": "high", "subject": "Sofa arrived scratched",
              "description": CASE_TEXT},
        headers=auth(customer.token),
    )  # fmt: skip
    assert case.status_code == 201, case.text
    return customer


def erasure(api: httpx.Client, stack: Stack, customer_id: str) -> dict[str, Any]:
    response = api.get(f"/api/v1/customers/{customer_id}/erasure", headers=stack.headers())
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def erase_and_wait(api: httpx.Client, stack: Stack, customer_id: str) -> dict[str, Any]:
    erased = api.post(f"/api/v1/customers/{customer_id}/erasure", headers=stack.headers())
    assert erased.status_code == 201, erased.text
    stack.wait_until(
        lambda: erasure(api, stack, customer_id)["complete"],
        timeout=60, what="every service's confirmation of the erasure",
    )  # fmt: skip
    return erasure(api, stack, customer_id)


def test_an_erasure_reaches_every_service_and_the_export_shows_nothing_personal(
    api: httpx.Client, stack: Stack, privacy_events_seen: Any
) -> None:
    customer = customer_with_records(api, stack, "Privacy")
    record = api.get("/api/v1/portal/me", headers=auth(customer.token)).json()
    name, phone = record["name"], record["phone"]

    stack.wait_until(
        lambda: has_every_record(export(api, stack, customer.id)),
        timeout=60, what="the customer's records in every service",
    )  # fmt: skip
    before = export(api, stack, customer.id)
    assert set(before["sections"]) == SERVICES
    assert all(section["erased_at"] is None for section in before["sections"].values())
    text = json.dumps(before)
    for personal in (name, customer.email, phone, CASE_TEXT):
        assert personal in text
    assert before["sections"]["identity"]["data"]["account"][0]["email"] == customer.email
    assert "password_hash" not in json.dumps(before["sections"]["identity"])
    assert before["sections"]["sales"]["data"]["opportunities"][0]["amount"] == "2500.50"

    # who may export and erase
    rep = staff_user(api, stack, "sales_rep")
    path = f"/api/v1/customers/{customer.id}"
    assert_problem(api.get(f"{path}/export", headers=auth(rep)), 403)
    assert_problem(api.post(f"{path}/erasure", headers=auth(rep)), 403)
    assert_problem(api.get(f"{path}/export", headers=auth(customer.token)), 403)
    own = api.get("/api/v1/portal/me/export", headers=auth(customer.token))
    assert own.status_code == 200, own.text
    assert own.json()["customer_id"] == customer.id
    assert set(own.json()["sections"]) == SERVICES
    assert customer.email in own.text

    drain(privacy_events_seen)
    done = erase_and_wait(api, stack, customer.id)
    assert {c["service"] for c in done["confirmations"]} == SERVICES
    assert all(c["confirmed_at"] for c in done["confirmations"])
    again = api.post(f"{path}/erasure", headers=stack.headers())
    assert_problem(again, 409)

    after = export(api, stack, customer.id)
    text = json.dumps(after)
    for personal in (name, customer.email, phone, CASE_TEXT):
        assert personal not in text
    assert all(section["erased_at"] for section in after["sections"].values())
    customer_section = after["sections"]["customer"]["data"]
    assert customer_section["customers"][0]["name"] == ERASED
    assert [(c["channel"], c["granted"]) for c in customer_section["consents"]] == [("email", True)]
    assert after["sections"]["sales"]["data"]["opportunities"][0]["amount"] == "2500.50"
    assert after["sections"]["service"]["data"]["cases"][0]["description"] == ERASED
    assert after["sections"]["identity"]["data"]["account"][0]["disabled"] is True
    # their login is over
    login = api.post(
        "/api/v1/auth/token",
        data={"grant_type": "password", "username": customer.email, "password": PASSWORD},
    )
    assert login.status_code in (400, 401)

    # the CustomerErased once more, as a redelivery would bring it: nobody confirms again
    published = drain(privacy_events_seen)
    erased_events = [b for b in published if decode(b).type == "crm.customer.v1.CustomerErased"]
    assert len(erased_events) == 1
    privacy_events_seen.basic_publish(
        EXCHANGE, "crm.customer.v1.CustomerErased", erased_events[0],
        properties=pika.BasicProperties(content_type="application/cloudevents+protobuf"),
    )  # fmt: skip
    # a later erasure confirmed by everyone shows each consumer has passed the redelivery
    later = customer_with_records(api, stack, "Later")
    erase_and_wait(api, stack, later.id)
    seen = published + drain(privacy_events_seen)
    confirmations: Counter[str] = Counter()
    for body in seen:
        message = decode(body).message
        if isinstance(message, privacy_events.PersonalDataErased) and (
            message.customer_id == customer.id
        ):
            confirmations[message.service] += 1
    assert confirmations == Counter(dict.fromkeys(SERVICES, 1))
    assert erasure(api, stack, customer.id)["confirmations"] == done["confirmations"]


def test_erasing_an_unknown_customer_or_reading_an_erasure_that_never_was_is_a_404(
    api: httpx.Client, stack: Stack
) -> None:
    customer = register(api, stack, "Kept")
    unknown = "00000000-0000-4000-8000-000000000000"
    assert_problem(api.post(f"/api/v1/customers/{unknown}/erasure", headers=stack.headers()), 404)
    assert_problem(api.get(f"/api/v1/customers/{unknown}/export", headers=stack.headers()), 404)
    assert_problem(
        api.get(f"/api/v1/customers/{customer.id}/erasure", headers=stack.headers()), 404
    )
