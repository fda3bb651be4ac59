"""Cases through the real gateway, with real tokens: a case opened by an agent for a contact
the real customer service recognizes (returning, new, blacklisted), worked through its states
with a reply and an internal note; the customer sees their own case on the portal without the
note, and their reply moves it back to the agent; another customer and other staff see nothing;
bad input and illegal steps as problems that change nothing; the events published."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest

from tests.system.stack import Stack
from tests.system.test_security import (
    assert_problem,
    auth,
    claims,
    create_customer,
    register,
    staff_user,
)


@pytest.fixture
def api(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.api, timeout=10) as client:
        yield client


def open_case(api: httpx.Client, token: str, **fields: Any) -> httpx.Response:
    body = {"type": "complaint", "priority": "high", "subject": "Sofa arrived scratched", **fields}
    return api.post("/api/v1/service/cases", json=body, headers=auth(token))


def step(api: httpx.Client, token: str, case_id: str, name: str, **body: Any) -> dict[str, Any]:
    response = api.post(f"/api/v1/service/cases/{case_id}/{name}", json=body, headers=auth(token))
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def published_types(stack: Stack, case_id: str) -> list[str | None]:
    """The case's events as the relay marked them: the type, or None while unpublished."""
    with psycopg.connect(stack.database_urls["service"]) as connection:
        rows = connection.execute(
            "SELECT event_type, published_at FROM outbox WHERE subject = %s ORDER BY seq",
            (case_id,),
        ).fetchall()
    return [event_type.rsplit(".", 1)[-1] if published else None for event_type, published in rows]


def test_a_case_is_opened_for_a_recognized_customer_worked_and_answered_on_the_portal(
    api: httpx.Client, stack: Stack
) -> None:
    agent = staff_user(api, stack, "service_agent")
    agent_id = claims(agent)["sub"]
    customer = register(api, stack, "Qian")

    opened = open_case(api, agent, contact_email=customer.email, order_ref="SO-1001")
    assert opened.status_code == 201, opened.text
    case = opened.json()
    assert opened.headers["Location"] == f"/api/v1/service/cases/{case['id']}"
    assert (case["status"], case["channel"], case["recognition"], case["customer_id"]) == (
        "new", "staff", "returning", customer.id,
    )  # fmt: skip
    assert case["reference"].startswith("CS-")
    queue = api.get("/api/v1/service/cases?unassigned=true", headers=auth(agent)).json()
    assert case["id"] in [item["id"] for item in queue["items"]]

    case = step(api, agent, case["id"], "assign", owner_id=agent_id)
    case = step(api, agent, case["id"], "start")
    step(api, agent, case["id"], "messages", body="Carrier damage, claim filed", internal=True)
    step(api, agent, case["id"], "messages", body="Could you send us a photo?")
    case = step(api, agent, case["id"], "wait")
    assert (case["status"], case["version"]) == ("waiting_on_customer", 6)

    mine = api.get("/api/v1/portal/cases", headers=auth(customer.token)).json()
    assert [item["id"] for item in mine["items"]] == [case["id"]]
    own = f"/api/v1/portal/cases/{case['id']}"
    seen = api.get(own, headers=auth(customer.token)).json()
    assert [message["body"] for message in seen["messages"]] == ["Could you send us a photo?"]
    replied = api.post(
        f"{own}/messages", json={"body": "Photo attached"}, headers=auth(customer.token)
    )
    assert replied.status_code == 200, replied.text
    assert replied.json()["status"] == "in_progress"
    note = api.post(
        f"{own}/messages", json={"body": "psst", "internal": True}, headers=auth(customer.token)
    )
    assert_problem(note, 403)

    resolved = step(api, agent, case["id"], "resolve", resolution="A new cover was sent")
    assert resolved["status"] == "resolved"
    reopened = api.post(
        f"{own}/reopen", json={"reason": "Wrong colour"}, headers=auth(customer.token)
    )
    assert reopened.status_code == 200, reopened.text
    assert (reopened.json()["status"], reopened.json()["reopen_count"]) == ("in_progress", 1)
    expected = [
        "CaseOpened", "CaseAssigned", "CaseStatusChanged", "CaseMessageAdded", "CaseMessageAdded",
        "CaseStatusChanged", "CaseMessageAdded", "CaseStatusChanged", "CaseStatusChanged",
        "CaseStatusChanged",
    ]  # fmt: skip
    stack.wait_until(
        lambda: published_types(stack, case["id"]) == expected,
        timeout=30,
        what="the case's events published by the relay",
    )


def test_recognition_visibility_bad_input_and_illegal_steps(
    api: httpx.Client, stack: Stack
) -> None:
    agent = staff_user(api, stack, "service_agent")
    rep = staff_user(api, stack, "sales_rep")
    other = register(api, stack, "Li")

    unknown = open_case(api, agent, contact_email=f"{uuid.uuid4().hex[:8]}@nowhere.cn").json()
    assert (unknown["recognition"], unknown["customer_id"]) == ("new", None)
    known = create_customer(api, stack)
    blacklisted = api.post(
        f"/api/v1/customers/{known['id']}/blacklist", json={"reason": "Abusive calls"},
        headers=stack.headers(),
    )  # fmt: skip
    assert blacklisted.status_code == 200, blacklisted.text
    flagged = open_case(api, agent, contact_email=known["email"]).json()
    assert (flagged["recognition"], flagged["customer_id"]) == ("blacklisted", known["id"])

    bad = assert_problem(open_case(api, agent, subject="", contact_email="nope"), 422)
    assert sorted(error["field"] for error in bad["errors"]) == ["contact_email", "subject"]
    # a phone the customer service cannot read is the caller's mistake, not a failure
    unreadable = assert_problem(open_case(api, agent, contact_phone="]Lk} not a phone"), 422)
    assert [error["field"] for error in unreadable["errors"]] == ["contact_phone"]
    assert_problem(open_case(api, rep, contact_email=known["email"]), 403)
    path = f"/api/v1/service/cases/{unknown['id']}"
    assert_problem(api.get(f"/api/v1/portal/cases/{unknown['id']}", headers=auth(other.token)), 404)
    assert_problem(api.post(f"{path}/close", json={}, headers=auth(agent)), 409)
    stale = api.post(
        f"{path}/assign", json={"owner_id": claims(agent)["sub"]},
        headers={**auth(agent), "If-Match": '"7"'},
    )  # fmt: skip
    assert_problem(stale, 409)
    after = api.get(path, headers=auth(agent)).json()
    assert (after["status"], after["version"], after["owner_id"]) == ("new", 1, None)
