"""Quotes, expenses and scorecards over REST, as the real processes run them, with real
tokens: a rep drafts a quote with a 20 % discount and cannot send it until the manager of
their team (which the admin makes) approves; the customer accepts it in the portal, another
customer cannot see it; the rep's expense is approved by the same manager; the rep's
scorecard answers; bad input is a 422 naming the field, and a refused step changes nothing."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.system.stack import Stack
from tests.system.test_security import assert_problem, auth, claims, register, staff_user


@pytest.fixture
def api(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.api, timeout=10) as client:
        yield client


def post(api: httpx.Client, token: str, path: str, body: dict[str, Any] | None = None) -> Any:
    response = api.post(f"/api/v1{path}", json=body or {}, headers=auth(token))
    assert response.status_code in (200, 201), response.text
    return response.json()


def managed_team(api: httpx.Client, stack: Stack, manager: str, *members: str) -> None:
    """A team the admin makes, `manager` managing `members` (tokens)."""
    created = api.post(
        "/api/v1/sales/teams",
        json={"name": f"Team {uuid.uuid4().hex[:8]}"},
        headers=stack.headers(),
    )
    assert created.status_code == 201, created.text
    team_id = created.json()["id"]
    for token, is_manager in ((manager, True), *((member, False) for member in members)):
        joined = api.put(
            f"/api/v1/sales/teams/{team_id}/members/{claims(token)['sub']}",
            json={"is_manager": is_manager, "active": True}, headers=stack.headers(),
        )  # fmt: skip
        assert joined.status_code == 200, joined.text


def test_a_discounted_quote_needs_the_managers_approval_and_the_customer_accepts_it(
    api: httpx.Client, stack: Stack
) -> None:
    customer = register(api, stack, "Sun")
    other = register(api, stack, "Li")
    rep = staff_user(api, stack, "sales_rep")
    manager = staff_user(api, stack, "manager")
    managed_team(api, stack, manager, rep)
    valid_until = (datetime.now(UTC).date() + timedelta(days=14)).isoformat()
    line = {
        "product_code": "BROCHURE-A4", "description": "A4 brochure, 16 pages",
        "quantity": "500", "unit_price": {"currency_code": "CNY", "amount": "4.20"},
        "discount_percent": "20", "tax_rate_percent": "13",
    }  # fmt: skip

    invalid = api.post(
        "/api/v1/sales/quotes",
        json={"customer_id": customer.id, "currency": "CNY", "valid_until": valid_until,
              "lines": [{**line, "quantity": "-5"}]},
        headers=auth(rep),
    )  # fmt: skip
    problem = assert_problem(invalid, 422)
    assert any(error["field"].endswith("quantity") for error in problem["errors"]), problem
    created = api.post(
        "/api/v1/sales/quotes",
        json={"customer_id": customer.id, "currency": "CNY", "valid_until": valid_until,
              "lines": [line]},
        headers=auth(rep),
    )  # fmt: skip
    assert created.status_code == 201, created.text
    quote = created.json()
    assert created.headers["Location"] == f"/api/v1/sales/quotes/{quote['id']}"
    # 500 x 4.20 = 2100.00, less 20 % = 1680.00, tax 13 % = 218.40
    assert (quote["state"], quote["needs_approval"]) == ("draft", True)
    assert (quote["discount_total"]["amount"], quote["grand_total"]["amount"]) == (
        "420.00", "1898.40",
    )  # fmt: skip
    path = f"/sales/quotes/{quote['id']}"

    unsent = api.post(f"/api/v1{path}/send", json={}, headers=auth(rep))
    assert "approval" in assert_problem(unsent, 409)["detail"]
    assert api.get(f"/api/v1{path}", headers=auth(rep)).json()["version"] == quote["version"]
    post(api, rep, f"{path}/request-approval")
    assert_problem(api.post(f"/api/v1{path}/approve", json={}, headers=auth(rep)), 403)
    approved = post(api, manager, f"{path}/approve")
    assert (approved["state"], approved["approved_by"]) == ("approved", claims(manager)["sub"])
    sent = post(api, rep, f"{path}/send")
    assert sent["state"] == "sent"

    own = f"/portal/quotes/{quote['id']}"
    hidden = api.get(f"/api/v1{own}", headers=auth(other.token))
    assert_problem(hidden, 404)
    assert_problem(api.post(f"/api/v1{own}/accept", json={}, headers=auth(other.token)), 404)
    mine = api.get("/api/v1/portal/quotes", headers=auth(customer.token)).json()
    assert [q["id"] for q in mine["items"]] == [quote["id"]]
    accepted = post(api, customer.token, f"{own}/accept")
    assert accepted["state"] == "accepted"
    assert_problem(api.post(f"/api/v1{own}/reject", json={}, headers=auth(customer.token)), 409)


def test_an_expense_is_approved_by_the_manager_and_the_scorecard_answers(
    api: httpx.Client, stack: Stack
) -> None:
    rep = staff_user(api, stack, "sales_rep")
    manager = staff_user(api, stack, "manager")
    rep_id = claims(rep)["sub"]
    managed_team(api, stack, manager, rep)
    expense = {
        "amount": {"currency_code": "CNY", "amount": "86.40"}, "category": "meals",
        "spent_on": datetime.now(UTC).date().isoformat(), "description": "Lunch with the buyer",
        "deal_kind": "opportunity", "deal_id": str(uuid.uuid4()),
    }  # fmt: skip

    future = api.post(
        "/api/v1/sales/expenses",
        json={**expense, "spent_on": (datetime.now(UTC).date() + timedelta(days=2)).isoformat()},
        headers=auth(rep),
    )
    assert [e["field"] for e in assert_problem(future, 422)["errors"]] == ["spent_on"]
    submitted = post(api, rep, "/sales/expenses", expense)
    assert (submitted["state"], submitted["owner_id"]) == ("submitted", rep_id)
    path = f"/sales/expenses/{submitted['id']}"
    assert_problem(api.post(f"/api/v1{path}/approve", json={}, headers=auth(rep)), 403)
    approved = post(api, manager, f"{path}/approve")
    assert (approved["state"], approved["decided_by"]) == ("approved", claims(manager)["sub"])

    period = datetime.now(UTC).strftime("%Y-%m")
    target = post(
        api, manager, "/sales/targets",
        {"rep_id": rep_id, "period": period, "amount": {"currency_code": "CNY", "amount": "50000"}},
    )  # fmt: skip
    assert target["amount"]["amount"] == "50000.00"
    card = api.get(f"/api/v1/sales/scorecards/{rep_id}", params={"period": period},
                   headers=auth(rep))  # fmt: skip
    assert card.status_code == 200, card.text
    body = card.json()
    assert (body["rep_id"], body["period"]) == (rep_id, period)
    assert body["won"][0]["target"]["amount"] == "50000.00"
