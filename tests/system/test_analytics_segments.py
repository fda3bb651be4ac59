"""Rule segments through the real gateway, with real tokens, over the real processes: a
marketer defines a segment over customers registered through REST, its preview count and its
members match them, a customer updated out of it leaves it and SegmentMembershipChanged reaches
an outside subscriber; roles that may not read or define segments are refused, and a rule with
an unknown field is a 422 naming it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pika
import pytest
from crm_platform.events import decode
from crm_proto.crm.analytics.v1 import events_pb2

from tests.system.stack import Stack
from tests.system.test_security import assert_problem, auth, create_customer, register, staff_user

EXCHANGE = "crm.events"


@pytest.fixture
def api(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.api, timeout=10) as client:
        yield client


@pytest.fixture
def segment_events(stack: Stack) -> Iterator[Any]:
    """A queue of this test's own on crm.events, bound to every analytics event."""
    connection = pika.BlockingConnection(pika.URLParameters(stack.amqp_url))
    channel = connection.channel()
    queue = channel.queue_declare("", exclusive=True).method.queue
    channel.queue_bind(queue, EXCHANGE, routing_key="crm.analytics.v1.#")
    channel.queue_name = queue  # type: ignore[attr-defined]
    yield channel
    connection.close()


def wait_for_event(stack: Stack, channel: Any, predicate: Any, what: str) -> Any:
    found: list[Any] = []

    def arrived() -> bool:
        method, _properties, body = channel.basic_get(channel.queue_name, auto_ack=True)
        if method is not None and predicate(message := decode(body).message):
            found.append(message)
        return bool(found)

    stack.wait_until(arrived, timeout=30, what=what)
    return found[0]


def rule(region: str) -> dict[str, Any]:
    return {
        "match": "all",
        "groups": [
            {
                "match": "all",
                "conditions": [
                    {"field": "region", "operator": "eq", "values": [region]},
                    {"field": "tag", "operator": "has_any", "values": ["vip"]},
                ],
            }
        ],
    }


def members(api: httpx.Client, token: str, segment_id: str) -> list[str]:
    response = api.get(
        f"/api/v1/analytics/segments/{segment_id}/members",
        params={"page_size": 200},
        headers=auth(token),
    )
    assert response.status_code == 200, response.text
    items: list[str] = response.json()["items"]
    return items


def test_a_marketer_segments_customers_and_members_follow_their_updates(
    api: httpx.Client, stack: Stack, segment_events: Any
) -> None:
    marketer = staff_user(api, stack, "marketer")
    region = f"Zhejiang-{uuid.uuid4().hex[:6]}"
    vips = [create_customer(api, stack, region=region, tags=["vip"]) for _ in range(3)]
    create_customer(api, stack, region=region, tags=["regular"])
    expected = sorted(c["id"] for c in vips)

    def previewed() -> int:
        response = api.post(
            "/api/v1/analytics/segments/preview", json={"rule": rule(region)},
            headers=auth(marketer),
        )  # fmt: skip
        assert response.status_code == 200, response.text
        return int(response.json()["member_count"])

    # the customers reach analytics through the events
    stack.wait_until(lambda: previewed() == 3, timeout=30, what="the preview of 3 customers")
    created = api.post(
        "/api/v1/analytics/segments",
        json={"name": "Zhejiang VIPs", "rule": rule(region)},
        headers=auth(marketer),
    )
    assert created.status_code == 201, created.text
    segment = created.json()
    assert created.headers["Location"] == f"/api/v1/analytics/segments/{segment['id']}"
    assert segment["member_count"] == 3
    assert members(api, marketer, segment["id"]) == expected

    leaving = vips[0]
    updated = api.patch(
        f"/api/v1/customers/{leaving['id']}", json={"tags": ["lapsed"]}, headers=stack.headers()
    )
    assert updated.status_code == 200, updated.text

    left = wait_for_event(
        stack,
        segment_events,
        lambda m: (
            isinstance(m, events_pb2.SegmentMembershipChanged) and m.customer_id == leaving["id"]
        ),
        "the customer leaving the segment",
    )
    assert (left.segment_id, left.member) == (segment["id"], False)
    assert members(api, marketer, segment["id"]) == sorted(c["id"] for c in vips[1:])
    got = api.get(f"/api/v1/analytics/segments/{segment['id']}", headers=auth(marketer))
    assert got.json()["member_count"] == 2


def test_who_may_not_read_or_define_segments(api: httpx.Client, stack: Stack) -> None:
    marketer = staff_user(api, stack, "marketer")
    created = api.post(
        "/api/v1/analytics/segments",
        json={"name": "Anyone blacklisted", "rule": {"groups": [{"conditions": [
            {"field": "blacklisted", "operator": "eq", "values": ["true"]}]}]}},
        headers=auth(marketer),
    )  # fmt: skip
    assert created.status_code == 201, created.text
    path = f"/api/v1/analytics/segments/{created.json()['id']}/members"

    rep = staff_user(api, stack, "sales_rep")
    customer = register(api, stack, "Li")
    for token in (rep, customer.token):
        assert_problem(api.get(path, headers=auth(token)), 403)
    analyst = staff_user(api, stack, "analyst")
    assert api.get(path, headers=auth(analyst)).status_code == 200
    assert_problem(
        api.post(
            "/api/v1/analytics/segments",
            json={"name": "x", "rule": rule("x")},
            headers=auth(analyst),
        ),
        403,
    )


def test_a_rule_naming_an_unknown_field_is_refused_naming_it(
    api: httpx.Client, stack: Stack
) -> None:
    marketer = staff_user(api, stack, "marketer")
    bad = {"groups": [{"conditions": [{"field": "shoe_size", "operator": "eq", "values": ["42"]}]}]}

    refused = api.post(
        "/api/v1/analytics/segments", json={"name": "Shoes", "rule": bad}, headers=auth(marketer)
    )

    problem = assert_problem(refused, 422)
    assert "rule.groups[0].conditions[0].field" in str(problem)
    listed = api.get("/api/v1/analytics/segments", headers=auth(marketer))
    assert "Shoes" not in [s["name"] for s in listed.json()["items"]]
