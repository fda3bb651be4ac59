"""Outsourcing over the real processes and the real gateway with real tokens: a manager
outsources a sales order; the nearest partner with the capability is offered it and declines;
the next one lets the answer deadline pass on the partner service's shifted clock (a settings
file of seconds the api and the deadlines role add to now), across a restart of the service,
and the third accepts. Sales shows who holds the order at each step; a partner user cannot see
or answer another partner's assignment; bad input is a 422 naming the fields; a second
partner's registration of a deal another partner's approved registration protects is refused.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest
from crm_platform.registry import service
from crm_platform.testing.servers import PostgresServer, RabbitServer
from grpc_health.v1 import health_pb2, health_pb2_grpc

from tests.system.stack import Stack, running_stack
from tests.system.test_security import (
    STAFF_PASSWORD,
    auth,
    create_customer,
    new_account,
    staff_user,
)

ANSWER_MINUTES = 60


@pytest.fixture(scope="module")
def offset_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("clock") / "offset-seconds"
    path.write_text("0")
    return path


@pytest.fixture(scope="module")
def stack(
    postgres_instance: PostgresServer | str,
    rabbit_instance: RabbitServer | str,
    tmp_path_factory: pytest.TempPathFactory,
    offset_file: Path,
) -> Iterator[Stack]:
    """The whole system, the partner service's clock shifted by `offset_file`, working around
    the clock (so the weekday of the run does not matter) and looking at the deadlines twice a
    second. Its own stack: the directory's partners are company-wide."""
    settings = {
        "CRM_PARTNER_CLOCK_OFFSET_FILE": str(offset_file),
        "CRM_PARTNER_HOURS": "mon-sun 00:00-24:00",
        "CRM_PARTNER_ANSWER_MINUTES": str(ANSWER_MINUTES),
        "CRM_PARTNER_DEADLINES_INTERVAL_SECONDS": "0.5",
    }
    yield from running_stack(postgres_instance, rabbit_instance, tmp_path_factory, settings)


@pytest.fixture
def api(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.api, timeout=10) as client:
        yield client


def shift(offset_file: Path, minutes: float) -> None:
    offset_file.write_text(str(minutes * 60))


def add_partner(api: httpx.Client, token: str, name: str, city: str, **fields: Any) -> str:
    response = api.post(
        "/api/v1/partners",
        json={
            "name": name,
            "capabilities": ["printing"],
            "location": {"country_code": "CN", "city": city},
            "capacity": 3,
            "tier": "gold",
            "rating": "4.5",
            **fields,
        },
        headers=auth(token),
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["location"]["located"] is True, body
    partner_id: str = body["id"]
    return partner_id


def partner_user(api: httpx.Client, stack: Stack, partner_id: str) -> str:
    email = new_account(
        api, stack, "partner_user", kind="partner", partner_id=partner_id, name="Partner user"
    )
    return stack.token(email, STAFF_PASSWORD)


def assignment(api: httpx.Client, token: str, assignment_id: str) -> dict[str, Any]:
    response = api.get(f"/api/v1/partners/assignments/{assignment_id}", headers=auth(token))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def holder_of(api: httpx.Client, stack: Stack, order_id: str) -> dict[str, Any] | None:
    response = api.get(f"/api/v1/sales/orders/{order_id}", headers=stack.headers())
    assert response.status_code == 200, response.text
    holder: dict[str, Any] | None = response.json()["holder"]
    return holder


def wait_for_holder(
    api: httpx.Client, stack: Stack, order_id: str, partner_id: str, status: str
) -> None:
    def shown() -> bool:
        holder = holder_of(api, stack, order_id)
        return (
            holder is not None and holder["partner_id"] == partner_id and holder["status"] == status
        )

    stack.wait_until(shown, timeout=30, what=f"sales to show {partner_id} {status}")


def test_an_order_is_declined_timed_out_and_accepted_and_sales_shows_its_holder(
    api: httpx.Client, stack: Stack, offset_file: Path
) -> None:
    manager = staff_user(api, stack, "manager")
    shanghai = add_partner(api, manager, "Shanghai Print", "Shanghai")
    hangzhou = add_partner(api, manager, "Hangzhou Print", "Hangzhou")
    beijing = add_partner(api, manager, "Beijing Print", "Beijing")
    add_partner(api, manager, "Rival Print", "Shanghai", competitor=True)
    users = {p: partner_user(api, stack, p) for p in (shanghai, hangzhou, beijing)}
    customer = create_customer(api, stack)
    placed = api.post(
        "/api/v1/sales/orders",
        json={"customer_id": customer["id"], "title": "Trade fair banners"},
        headers=stack.headers(),
    )
    assert placed.status_code == 201, placed.text
    order_id = placed.json()["id"]
    assert holder_of(api, stack, order_id) is None

    suggested = api.post(
        "/api/v1/partners/suggestions",
        json={"capabilities": ["printing"], "place": {"country_code": "CN", "city": "Shanghai"}},
        headers=auth(manager),
    )
    assert suggested.status_code == 200, suggested.text
    # the nearest radius holding a partner, never the competitor beside it
    assert [s["partner"]["id"] for s in suggested.json()["suggestions"]] == [shanghai]

    outsourced = api.post(
        "/api/v1/partners/assignments",
        json={
            "work_kind": "order",
            "work_id": order_id,
            "customer_id": customer["id"],
            "capabilities": ["printing"],
            "place": {"country_code": "CN", "city": "Shanghai"},
        },
        headers=auth(manager),
    )
    assert outsourced.status_code == 201, outsourced.text
    offered = outsourced.json()
    assert (offered["state"], offered["partner_id"]) == ("offered", shanghai)
    wait_for_holder(api, stack, order_id, shanghai, "offered")

    # another partner's user neither sees nor answers it
    hidden = api.get(f"/api/v1/partners/assignments/{offered['id']}", headers=auth(users[hangzhou]))
    assert hidden.status_code == 404, hidden.text
    taken = api.post(
        f"/api/v1/partners/assignments/{offered['id']}/accept", headers=auth(users[hangzhou])
    )
    assert taken.status_code == 404, taken.text
    listed = api.get("/api/v1/partners/assignments", headers=auth(users[hangzhou]))
    assert listed.status_code == 200, listed.text
    assert offered["id"] not in [a["id"] for a in listed.json()["items"]]

    declined = api.post(
        f"/api/v1/partners/assignments/{offered['id']}/decline",
        json={"reason": "presses booked"},
        headers=auth(users[shanghai]),
    )
    assert declined.status_code == 200, declined.text
    assert (declined.json()["state"], declined.json()["partner_id"]) == ("offered", hangzhou)
    wait_for_holder(api, stack, order_id, hangzhou, "offered")

    # the deadlines role is restarted: the deadline is in the database, not in the process
    stack.processes["partner"].stop()
    shift(offset_file, ANSWER_MINUTES + 1)
    stack.start("partner", "partner")
    stack.wait_ready("partner", stack.ready_url("partner"))
    stack.wait_until(
        lambda: assignment(api, manager, offered["id"])["partner_id"] == beijing,
        timeout=30,
        what="the timed-out offer to go to the next partner",
    )
    answers = [o["answer"] for o in assignment(api, manager, offered["id"])["offers"]]
    assert answers == ["declined", "expired", "pending"]

    accepted = api.post(
        f"/api/v1/partners/assignments/{offered['id']}/accept", headers=auth(users[beijing])
    )
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["state"] == "accepted"
    wait_for_holder(api, stack, order_id, beijing, "accepted")
    holder = holder_of(api, stack, order_id)
    assert holder is not None
    assert holder["partner_name"] == "Beijing Print"

    card = api.get(f"/api/v1/partners/{beijing}/scorecard", headers=auth(users[beijing]))
    assert card.status_code == 200, card.text
    assert (card.json()["offers"], card.json()["accepted"]) == (1, 1)
    others = api.get(f"/api/v1/partners/{shanghai}/scorecard", headers=auth(users[beijing]))
    assert others.status_code == 404, others.text


def test_bad_input_is_a_422_naming_the_fields_and_changes_nothing(
    api: httpx.Client, stack: Stack
) -> None:
    manager = staff_user(api, stack, "manager")
    work_id = str(uuid.uuid4())
    refused = api.post(
        "/api/v1/partners/assignments",
        json={"work_kind": "invoice", "work_id": work_id, "partner_id": "not-an-id"},
        headers=auth(manager),
    )
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    fields = {error["field"] for error in refused.json()["errors"]}
    assert {"work_kind", "partner_id"} <= fields
    bad_partner = api.post(
        "/api/v1/partners",
        json={"name": "", "capacity": 0, "rating": "9"},
        headers=auth(manager),
    )
    assert bad_partner.status_code == 422, bad_partner.text
    assert {"name", "capacity"} <= {e["field"] for e in bad_partner.json()["errors"]}
    listed = api.get(f"/api/v1/partners/assignments?work_id={work_id}", headers=auth(manager))
    assert listed.json()["items"] == []


def test_an_approved_deal_registration_protects_the_customer_from_other_partners(
    api: httpx.Client, stack: Stack
) -> None:
    manager = staff_user(api, stack, "manager")
    first = partner_user(api, stack, add_partner(api, manager, "Suzhou Signs", "Suzhou"))
    second = partner_user(api, stack, add_partner(api, manager, "Nanjing Signs", "Nanjing"))
    customer = create_customer(api, stack)
    deal = {"customer_id": customer["id"], "title": "Shop signs"}
    registered = api.post("/api/v1/partners/deal-registrations", json=deal, headers=auth(first))
    assert registered.status_code == 201, registered.text
    assert registered.json()["state"] == "draft"
    registration = registered.json()["id"]
    base = f"/api/v1/partners/deal-registrations/{registration}"
    assert api.post(f"{base}/submit", headers=auth(first)).status_code == 200
    approved = api.post(f"{base}/approve", headers=auth(manager))
    assert approved.status_code == 200, approved.text
    assert approved.json()["state"] == "approved"

    refused = api.post("/api/v1/partners/deal-registrations", json=deal, headers=auth(second))

    assert refused.status_code == 409, refused.text
    assert "protected by another partner" in refused.json()["detail"]
    assert api.get(base, headers=auth(second)).status_code == 404


def test_grpc_health_says_serving(stack: Stack) -> None:
    assert service("partner").port == 50055  # where it serves outside the tests' stacks
    with grpc.insecure_channel(stack.grpc_target("partner")) as channel:
        response = health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service=""), timeout=5
        )
    assert response.status == health_pb2.HealthCheckResponse.SERVING
