"""Marketing's copy of the customers' contact and consent, through the real processes: a
customer made in the customer service, given email consent, then blacklisted, is seen by
marketing (GET /api/v1/marketing/contacts/{id}) reachable by email, then by nothing; a sales
rep may not read the copy."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.system.stack import Stack
from tests.system.test_security import assert_problem, auth, create_customer, staff_user


@pytest.fixture
def api(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.api, timeout=10) as client:
        yield client


def contact(api: httpx.Client, stack: Stack, customer_id: str) -> dict[str, Any] | None:
    response = api.get(f"/api/v1/marketing/contacts/{customer_id}", headers=stack.headers())
    if response.status_code == 404:
        return None
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def test_consent_and_blacklisting_reach_marketings_copy(api: httpx.Client, stack: Stack) -> None:
    email = f"reader-{uuid.uuid4().hex[:8]}@example.cn"
    customer = create_customer(api, stack, email=email)
    path = f"/api/v1/customers/{customer['id']}"

    granted = api.put(f"{path}/consents/email", json={"granted": True}, headers=stack.headers())
    assert granted.status_code == 200, granted.text

    def reachable() -> bool:
        found = contact(api, stack, customer["id"])
        return found is not None and found["reachable_by"] == ["email"]

    stack.wait_until(reachable, timeout=30, what="the consent in marketing's copy")
    copied = contact(api, stack, customer["id"])
    assert copied is not None
    assert (copied["email"], copied["consents"], copied["blacklisted"]) == (email, ["email"], False)

    blacklisted = api.post(f"{path}/blacklist", json={"reason": "Chargebacks"},
                           headers=stack.headers())  # fmt: skip
    assert blacklisted.status_code == 200, blacklisted.text

    def unreachable() -> bool:
        found = contact(api, stack, customer["id"])
        return found is not None and found["blacklisted"] and found["reachable_by"] == []

    stack.wait_until(unreachable, timeout=30, what="the blacklisting in marketing's copy")
    rep = staff_user(api, stack, "sales_rep")
    denied = api.get(f"/api/v1/marketing/contacts/{customer['id']}", headers=auth(rep))
    assert_problem(denied, 403)
