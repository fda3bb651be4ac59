"""Leads through the real gateway, with real tokens: a team set up by the admin, a lead
captured, scored and assigned by the team's rule to its active rep, converted into a real
customer of the customer service and an opportunity; who sees it and who may not; bad input
and a blacklisted customer as problems that change nothing."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from crm_platform.testing.servers import PostgresServer, RabbitServer

from tests.system.stack import Stack, running_stack
from tests.system.test_security import (
    STAFF_PASSWORD,
    assert_problem,
    auth,
    claims,
    create_customer,
    new_account,
    register,
    staff_user,
)


@pytest.fixture(scope="module")
def stack(
    postgres_instance: PostgresServer | str,
    rabbit_instance: RabbitServer | str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Stack]:
    """A system of this module's own: its teams' assignment rules would take other
    modules' leads, and theirs its own."""
    yield from running_stack(postgres_instance, rabbit_instance, tmp_path_factory)


@pytest.fixture
def api(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.api, timeout=10) as client:
        yield client


def team_for(api: httpx.Client, stack: Stack, region: str, reps: dict[str, bool]) -> dict[str, Any]:
    """A team taking the web leads of `region`, with these reps (subject -> active)."""
    created = api.post(
        "/api/v1/sales/teams",
        json={"name": f"Team {region}", "rule": {"regions": [region], "sources": ["web"]}},
        headers=stack.headers(),
    )
    assert created.status_code == 201, created.text
    team: dict[str, Any] = created.json()
    for subject, active in reps.items():
        member = api.put(
            f"/api/v1/sales/teams/{team['id']}/members/{subject}",
            json={"monthly_capacity": 10, "active": active},
            headers=stack.headers(),
        )
        assert member.status_code == 200, member.text
        team = member.json()
    return team


def capture(api: httpx.Client, token: str, region: str, **contact: Any) -> httpx.Response:
    unique = uuid.uuid4().hex[:8]
    body = {
        "source": "web",
        "contact": {
            "name": f"Lead {unique}", "company": f"Company {unique}", "region": region,
            "email": f"lead-{unique}@company.cn", "company_size": "medium", **contact,
        },
        "tags": ["furniture"],
    }  # fmt: skip
    return api.post("/api/v1/sales/leads", json=body, headers=auth(token))


def test_a_lead_is_captured_scored_assigned_and_converted(api: httpx.Client, stack: Stack) -> None:
    rep = staff_user(api, stack, "sales_rep")
    idle = stack.token(new_account(api, stack, "sales_rep"), STAFF_PASSWORD)
    other_rep = stack.token(new_account(api, stack, "sales_rep"), STAFF_PASSWORD)
    customer = register(api, stack, "Qian")
    region = f"south-{uuid.uuid4().hex[:6]}"
    rep_id, idle_id = claims(rep)["sub"], claims(idle)["sub"]
    team = team_for(api, stack, region, {rep_id: True, idle_id: False})

    captured = capture(api, stack.admin_token(), region)
    assert captured.status_code == 201, captured.text
    lead = captured.json()
    assert captured.headers["Location"] == f"/api/v1/sales/leads/{lead['id']}"
    assert (lead["status"], lead["owner_id"], lead["team_id"]) == ("assigned", rep_id, team["id"])
    assert lead["score"] > 0
    assert "source=web: +10" in lead["score_reasons"]
    assert 0 < float(lead["win_probability"]) < 1

    path = f"/api/v1/sales/leads/{lead['id']}"
    assert api.get(path, headers=auth(rep)).status_code == 200
    assert_problem(api.get(path, headers=auth(other_rep)), 404)
    assert api.get(path, headers=auth(customer.token)).status_code in (403, 404)
    mine = api.get(f"/api/v1/sales/leads?team_id={team['id']}", headers=auth(rep)).json()
    assert [item["id"] for item in mine["items"]] == [lead["id"]]

    converted = api.post(
        f"{path}/convert", json={"opportunity_title": "Showroom"}, headers=auth(rep)
    )
    assert converted.status_code == 200, converted.text
    answer = converted.json()
    assert answer["lead"]["status"] == "converted"
    assert answer["customer_created"] is True
    real = api.get(f"/api/v1/customers/{answer['customer_id']}", headers=stack.headers())
    assert real.status_code == 200, real.text
    assert real.json()["email"] == lead["contact"]["email"]
    again = api.post(f"{path}/convert", json={}, headers=auth(rep))
    assert_problem(again, 409)


def test_bad_input_and_a_blacklisted_customer_change_nothing(
    api: httpx.Client, stack: Stack
) -> None:
    rep = staff_user(api, stack, "sales_rep")
    region = f"east-{uuid.uuid4().hex[:6]}"
    bad = capture(api, rep, region, email="not-an-email")
    body = assert_problem(bad, 422)
    assert [error["field"] for error in body["errors"]] == ["contact.email"]
    no_team = api.post("/api/v1/sales/teams", json={"name": "Mine"}, headers=auth(rep))
    assert_problem(no_team, 403)

    known = create_customer(api, stack)
    blacklisted = api.post(
        f"/api/v1/customers/{known['id']}/blacklist", json={"reason": "Unpaid invoices"},
        headers=stack.headers(),
    )  # fmt: skip
    assert blacklisted.status_code == 200, blacklisted.text
    lead = capture(api, rep, region, email=known["email"]).json()
    path = f"/api/v1/sales/leads/{lead['id']}"
    taken = api.post(f"{path}/assign", json={"owner_id": claims(rep)["sub"]}, headers=auth(rep))
    assert taken.status_code == 200, taken.text
    refused = api.post(f"{path}/convert", json={}, headers=auth(rep))
    assert_problem(refused, 409)
    after = api.get(path, headers=auth(rep)).json()
    assert (after["status"], after["version"], after["customer_id"]) == ("assigned", 2, None)
