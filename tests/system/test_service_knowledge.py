"""The knowledge base through the real gateway, with real tokens: an agent writes and
publishes an article; a portal customer asking a question before opening a case gets it as a
suggested answer, marks it solved, and the deflection rate shows it; a customer never sees a
draft and cannot write; an agent's bad article is a 422 naming its fields."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.system.stack import Stack
from tests.system.test_security import assert_problem, auth, register, staff_user


@pytest.fixture
def api(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.api, timeout=10) as client:
        yield client


def write(api: httpx.Client, token: str, **article: Any) -> dict[str, Any]:
    created = api.post("/api/v1/service/articles", json=article, headers=auth(token))
    assert created.status_code == 201, created.text
    body: dict[str, Any] = created.json()
    return body


def test_a_published_article_answers_a_customer_before_they_open_a_case(
    api: httpx.Client, stack: Stack
) -> None:
    agent = staff_user(api, stack, "service_agent")
    manager = staff_user(api, stack, "manager")
    customer = register(api, stack, "Lin")
    article = write(
        api, agent, title="Resetting a jammed recliner",
        body="Pull the lever fully, then push the footrest down until it clicks.",
        category="Furniture", tags=["recliner", "repairs"],
    )  # fmt: skip
    assert article["has_draft"] is True
    publish = api.post(
        f"/api/v1/service/articles/{article['id']}/publish", json={}, headers=auth(agent)
    )
    assert publish.status_code == 200, publish.text
    assert publish.json()["published_version"] == 1
    write(api, agent, title="Delivery slots", body="Deliveries come between nine and five.")

    asked = api.post(
        "/api/v1/portal/suggestions",
        json={"question": "My recliner is jammed, how do I reset it?"},
        headers=auth(customer.token),
    )
    assert asked.status_code == 201, asked.text
    suggestion = asked.json()
    assert [answer["id"] for answer in suggestion["articles"]][:1] == [article["id"]]
    assert suggestion["articles"][0]["title"] == "Resetting a jammed recliner"

    solved = api.post(
        f"/api/v1/portal/suggestions/{suggestion['id']}/solved",
        json={"article_id": article["id"]},
        headers=auth(customer.token),
    )
    assert solved.status_code == 200, solved.text
    assert solved.json()["solved_by"] == article["id"]
    again = api.post(
        f"/api/v1/portal/suggestions/{suggestion['id']}/solved",
        json={"article_id": article["id"]},
        headers=auth(customer.token),
    )
    assert_problem(again, 409)

    rate = api.get("/api/v1/service/deflection", headers=auth(manager))
    assert rate.status_code == 200, rate.text
    assert (rate.json()["suggestions"], rate.json()["solved"], rate.json()["rate"]) == (1, 1, 1.0)
    assert_problem(api.get("/api/v1/service/deflection", headers=auth(customer.token)), 403)

    helped = api.post(
        f"/api/v1/portal/articles/{article['id']}/feedback",
        json={"helpful": True},
        headers=auth(customer.token),
    )
    assert helped.status_code == 200, helped.text
    assert helped.json()["helpful_count"] == 1


def test_a_customer_never_sees_a_draft_and_cannot_write(api: httpx.Client, stack: Stack) -> None:
    agent = staff_user(api, stack, "service_agent")
    customer = register(api, stack, "Wang")
    draft = write(api, agent, title="Upcoming wardrobe recall", body="Not announced yet.")
    guide = write(api, agent, title="Assembling a wardrobe", body="Start with the frame.")
    publish = api.post(
        f"/api/v1/service/articles/{guide['id']}/publish", json={}, headers=auth(agent)
    )
    assert publish.status_code == 200, publish.text

    own = api.get(f"/api/v1/portal/articles/{draft['id']}", headers=auth(customer.token))
    assert_problem(own, 404)
    found = api.get(
        "/api/v1/portal/articles/search", params={"query": "wardrobe recall"},
        headers=auth(customer.token),
    )  # fmt: skip
    assert found.status_code == 200, found.text
    assert [article["id"] for article in found.json()["articles"]] == [guide["id"]]
    listed = api.get("/api/v1/portal/articles", headers=auth(customer.token))
    assert listed.status_code == 200, listed.text
    listed_ids = [article["id"] for article in listed.json()["items"]]
    assert guide["id"] in listed_ids
    assert draft["id"] not in listed_ids
    staff_view = api.get(f"/api/v1/service/articles/{draft['id']}", headers=auth(agent))
    assert staff_view.json()["draft_title"] == "Upcoming wardrobe recall"

    denied = api.post(
        "/api/v1/service/articles", json={"title": "Mine", "body": "Text"},
        headers=auth(customer.token),
    )  # fmt: skip
    assert_problem(denied, 403)
    bad = assert_problem(
        api.post("/api/v1/service/articles", json={"title": "", "body": ""}, headers=auth(agent)),
        422,
    )
    assert sorted(error["field"] for error in bad["errors"]) == ["body", "title"]
