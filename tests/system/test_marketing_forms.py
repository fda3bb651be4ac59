"""Public lead capture through the real gateway: a marketer defines a campaign's form; anyone
submits it without a token, and the lead appears in sales (GET /api/v1/sales/leads) with the
campaign; bad input is a 422 naming the field, a filled honeypot is answered alike and keeps
nothing, and one address submitting too often is refused (429)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.system.stack import Stack
from tests.system.test_security import assert_problem, auth, staff_user

LIMIT_PER_MINUTE = 30  # the public form's limit per address (marketing_routes.PUBLIC_FORM_LIMIT)


@pytest.fixture
def api(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.api, timeout=10) as client:
        yield client


def from_address(stack: Stack, address: str) -> httpx.Client:
    """A client whose requests come from another loopback address: its own rate-limit count."""
    transport = httpx.HTTPTransport(local_address=address)
    return httpx.Client(base_url=stack.api, timeout=10, transport=transport)


def define_form(api: httpx.Client, stack: Stack, campaign_id: str) -> dict[str, Any]:
    created = api.post(
        "/api/v1/marketing/forms",
        json={"form": {"name": "Spring fair", "campaign_id": campaign_id, "active": True,
                       "required_fields": ["name", "email"]}},
        headers=auth(staff_user(api, stack, "marketer")),
    )  # fmt: skip
    assert created.status_code == 201, created.text
    form: dict[str, Any] = created.json()
    return form


def answers(**fields: Any) -> dict[str, Any]:
    unique = uuid.uuid4().hex[:8]
    return {
        "name": f"Visitor {unique}", "email": f"visitor-{unique}@example.cn", "company": "Acme",
        "company_size": "small", "consent_email": True, "utm_source": "newsletter",
        "utm_medium": "email", "utm_campaign": "spring", **fields,
    }  # fmt: skip


def sales_leads(api: httpx.Client, stack: Stack) -> list[dict[str, Any]]:
    response = api.get("/api/v1/sales/leads?page_size=200", headers=stack.headers())
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_a_submitted_form_becomes_a_lead_in_sales(api: httpx.Client, stack: Stack) -> None:
    campaign_id = str(uuid.uuid4())
    form = define_form(api, stack, campaign_id)
    visitor = answers()

    with from_address(stack, "127.0.0.21") as anyone:
        submitted = anyone.post(f"/api/v1/public/forms/{form['id']}", json=visitor)
    assert submitted.status_code == 201, submitted.text

    def lead() -> dict[str, Any] | None:
        found = [item for item in sales_leads(api, stack)
                 if item["contact"]["email"] == visitor["email"]]  # fmt: skip
        return found[0] if found else None

    stack.wait_until(lambda: lead() is not None, timeout=30, what="the lead in sales")
    made = lead()
    assert made is not None
    assert (made["source"], made["campaign_id"]) == ("campaign", campaign_id)
    assert made["contact"]["name"] == visitor["name"]
    listed = api.get(f"/api/v1/marketing/forms/{form['id']}/submissions", headers=stack.headers())
    assert [s["lead_id"] for s in listed.json()["items"]] == [submitted.json()["lead_id"]]


def test_bad_answers_a_honeypot_and_a_flood_capture_nothing(
    api: httpx.Client, stack: Stack
) -> None:
    form = define_form(api, stack, str(uuid.uuid4()))
    path = f"/api/v1/public/forms/{form['id']}"

    with from_address(stack, "127.0.0.22") as anyone:
        bad = anyone.post(path, json=answers(email="not-an-email"))
        assert [e["field"] for e in assert_problem(bad, 422)["errors"]] == ["email"]
        too_long = anyone.post(path, json=answers(company="x" * 201))
        assert [e["field"] for e in assert_problem(too_long, 422)["errors"]] == ["company"]
        robot = anyone.post(path, json=answers(website="http://spam.example"))
        assert robot.status_code == 201, robot.text
        statuses = [anyone.post(path, json=answers(website="http://spam.example")).status_code
                    for _ in range(LIMIT_PER_MINUTE)]  # fmt: skip
    assert statuses[-1] == 429
    with from_address(stack, "127.0.0.23") as someone_else:
        assert someone_else.post(path, json=answers(email="still-bad")).status_code == 422

    listed = api.get(f"{path.replace('/public/', '/marketing/')}/submissions",
                     headers=stack.headers())  # fmt: skip
    assert listed.json()["items"] == []
