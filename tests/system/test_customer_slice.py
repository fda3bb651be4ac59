"""The first vertical slice through real processes:

REST (portal) -> gRPC (customer) -> database + outbox -> relay -> RabbitMQ
-> analytics consumer (inbox) -> read model -> gRPC -> REST
"""

from __future__ import annotations

import base64
import json
import subprocess
import uuid
from typing import Any

import grpc
import httpx
import psycopg
import pytest
from crm_platform.testing import required
from crm_platform.testing.processes import wait_until
from crm_platform.testing.tokens import bearer
from crm_proto.crm.customer.v1 import customer_pb2, customer_pb2_grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from tests.system.stack import Stack
from tests.system.test_security import auth, register, staff_user

PROBLEM = "application/problem+json"


def segments(stack: Stack) -> dict[str, Any]:
    response = httpx.get(
        f"{stack.api}/api/v1/analytics/segments/demographics", headers=stack.headers(), timeout=5
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def count_of(body: dict[str, Any], dimension: str, key: str) -> int:
    return next((c["count"] for c in body[dimension] if c["key"] == key), 0)


def table_count(stack: Stack, service: str, table: str) -> int:
    with psycopg.connect(stack.database_urls[service]) as connection:
        row = connection.execute(f"SELECT count(*) FROM {table}").fetchone()  # noqa: S608 - test tables
    assert row is not None
    return int(row[0])


def new_person(**overrides: Any) -> dict[str, Any]:
    unique = uuid.uuid4().hex[:10]
    return {
        "kind": "person",
        "name": f"Customer {unique}",
        "email": f"{unique}@example.com",
        "region": "east",
        "city": "Hangzhou",
        "gender": "female",
        "birth_date": "1990-04-01",
        "source": "web",
        **overrides,
    }


def test_a_customer_created_through_rest_is_readable_and_counted_by_analytics(stack: Stack) -> None:
    before = segments(stack)
    region = f"region-{uuid.uuid4().hex[:6]}"

    created = httpx.post(
        f"{stack.api}/api/v1/customers",
        json=new_person(region=region),
        headers=stack.headers(),
        timeout=5,
    )

    assert created.status_code == 201, created.text
    customer = created.json()
    assert created.headers["Location"].endswith(customer["id"])
    fetched = httpx.get(
        f"{stack.api}/api/v1/customers/{customer['id']}", headers=stack.headers(), timeout=5
    )
    assert fetched.status_code == 200
    assert fetched.json()["email"] == customer["email"]
    # by its own region: other modules' customers may still be arriving on the shared stack,
    # so the totals only grow by at least this one
    wait_until(
        lambda: count_of(segments(stack), "by_region", region) == 1,
        timeout=30,
        what="analytics to count the new customer",
    )
    after = segments(stack)
    assert after["total_customers"] >= before["total_customers"] + 1
    assert count_of(after, "by_source", "web") >= count_of(before, "by_source", "web") + 1


def test_segments_follow_a_stream_of_customers(stack: Stack) -> None:
    before = segments(stack)["total_customers"]
    region = f"region-{uuid.uuid4().hex[:6]}"
    with httpx.Client(base_url=stack.api, headers=stack.headers(), timeout=5) as client:
        for _ in range(20):
            response = client.post(
                "/api/v1/customers", json=new_person(region=region, gender="male")
            )
            assert response.status_code == 201, response.text

    wait_until(
        lambda: count_of(segments(stack), "by_region", region) == 20,
        timeout=15,
        what="analytics to count 20 customers",
    )
    assert segments(stack)["total_customers"] >= before + 20  # others may still arrive
    # The relay marks a batch once the broker has confirmed all of it, so a consumer may count
    # an event a moment before its row is marked.
    wait_until(
        lambda: table_count(stack, "customer", "outbox WHERE published_at IS NULL") == 0,
        timeout=10,
        what="the relay to mark every row published",
    )


def test_a_duplicate_email_is_a_409_naming_the_existing_customer(stack: Stack) -> None:
    person = new_person()
    first = httpx.post(
        f"{stack.api}/api/v1/customers", json=person, headers=stack.headers(), timeout=5
    )
    assert first.status_code == 201

    again = httpx.post(
        f"{stack.api}/api/v1/customers",
        json={**person, "email": person["email"].upper()},
        headers=stack.headers(),
        timeout=5,
    )

    assert again.status_code == 409
    assert again.headers["content-type"].startswith(PROBLEM)
    assert first.json()["id"] in again.text


def test_possible_duplicates_are_reviewed_and_merged_in_one_step(stack: Stack) -> None:
    with httpx.Client(base_url=stack.api, timeout=10) as api:
        rep, customer = staff_user(api, stack, "sales_rep"), register(api, stack, "Qian")
        unique = uuid.uuid4().hex[:8]
        made = [
            api.post("/api/v1/customers", headers=auth(rep), json=new_person(
                name=name, email=email, city=f"Town {unique}",
            )).json()["id"]
            for name, email in ((f"Qian {unique}", f"qian.{unique}@example.com"),
                                (f"{unique} Qian", f"qian{unique}@example.cn"))
        ]  # fmt: skip
        record, twin = made
        path = f"/api/v1/customers/{record}/duplicates"

        found = api.get(path, headers=auth(rep))
        refused = api.get(path, headers=auth(customer.token))
        bad = api.get(f"{path}?min_score=101", headers=auth(rep))
        merged = api.post(
            f"/api/v1/customers/{record}/merge", json={"merged_id": twin}, headers=stack.headers()
        )
        after = api.get(path, headers=auth(rep))

    assert found.status_code == 200, found.text
    [duplicate] = found.json()["duplicates"]
    assert (duplicate["customer"]["id"], duplicate["score"]) == (twin, 100)
    assert duplicate["reasons"] == ["name 100 %", "email 100 %", "same city"]
    assert refused.status_code == 403
    assert bad.status_code == 422
    assert [error["field"] for error in bad.json()["errors"]] == ["min_score"]
    assert merged.status_code == 200, merged.text
    assert after.json()["duplicates"] == []


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b'{"name": "Broken", ', "application/json", 400),
        (b'{"name": "No contact"}', "application/json", 422),
        (b'{"name": "Bad email", "email": "not-an-email"}', "application/json", 422),
        (
            b'{"name": "Future", "email": "f@example.com", "birth_date": "2999-01-01"}',
            "application/json",
            422,
        ),
        (
            b'{"name": "Extra", "email": "x@example.com", "blacklisted": true}',
            "application/json",
            422,
        ),
        (b"name=Form", "application/x-www-form-urlencoded", 415),
    ],
)
def test_bad_input_is_a_problem_and_changes_nothing(
    stack: Stack, body: bytes, content_type: str, status: int
) -> None:
    customers_before = table_count(stack, "customer", "customers")
    outbox_before = table_count(stack, "customer", "outbox")

    response = httpx.post(
        f"{stack.api}/api/v1/customers",
        content=body,
        headers={"content-type": content_type, **stack.headers()},
        timeout=5,
    )

    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    problem = response.json()
    assert problem["status"] == status
    assert problem["title"]
    if status == 422:
        assert problem["errors"], problem
        assert all(error["field"] is not None and error["message"] for error in problem["errors"])
    assert table_count(stack, "customer", "customers") == customers_before
    assert table_count(stack, "customer", "outbox") == outbox_before


def test_the_correlation_id_travels_through_the_gateway(stack: Stack) -> None:
    response = httpx.get(
        f"{stack.api}/api/v1/customers/{uuid.uuid4()}",
        headers={"X-Correlation-ID": "trace-me-123", **stack.headers()},
        timeout=5,
    )

    assert response.status_code == 404
    assert response.headers["X-Correlation-ID"] == "trace-me-123"
    assert response.json()["correlation_id"] == "trace-me-123"
    wait_until(
        lambda: "trace-me-123" in stack.processes["customer"].log(),
        timeout=5,
        what="the customer service's access log to show the correlation id",
    )


@pytest.mark.parametrize("service", ["customer", "analytics"])
def test_grpc_health_says_serving(stack: Stack, service: str) -> None:
    with grpc.insecure_channel(stack.grpc_target(service)) as channel:
        response = health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service=""), timeout=5
        )
    assert response.status == health_pb2.HealthCheckResponse.SERVING


@pytest.mark.parametrize("service", ["customer", "analytics", "portal"])
def test_every_metrics_endpoint_passes_promtool(stack: Stack, service: str) -> None:
    exposition = httpx.get(f"{stack.metrics_url(service)}/metrics", timeout=5)
    assert exposition.status_code == 200
    assert "crm_" in exposition.text
    promtool = required.tool("promtool", package="prometheus")
    checked = subprocess.run(
        [promtool, "check", "metrics"], input=exposition.content, capture_output=True
    )
    assert checked.returncode == 0, checked.stdout.decode() + checked.stderr.decode()


def test_without_a_token_the_api_is_a_401_problem(stack: Stack) -> None:
    response = httpx.get(f"{stack.api}/api/v1/customers", timeout=5)

    assert response.status_code == 401
    assert response.headers["content-type"].startswith(PROBLEM)


def test_the_services_verify_the_portals_tokens_straight_over_grpc(stack: Stack) -> None:
    """Zero trust: the customer service checks a portal-issued token itself, with the keys
    from the portal's JWKS, and refuses the same token with altered claims."""
    token = stack.admin_token()
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "someone-else"
    forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    forged = f"{header}.{forged_payload}.{signature}"
    request = customer_pb2.ListCustomersRequest()

    with grpc.insecure_channel(stack.grpc_target("customer")) as channel:
        stub = customer_pb2_grpc.CustomerServiceStub(channel)
        listed = stub.ListCustomers(request, metadata=bearer(token), timeout=5)
        with pytest.raises(grpc.RpcError) as anonymous:
            stub.ListCustomers(request, timeout=5)
        with pytest.raises(grpc.RpcError) as tampered:
            stub.ListCustomers(request, metadata=bearer(forged), timeout=5)

    assert listed.customers
    assert anonymous.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert tampered.value.code() == grpc.StatusCode.UNAUTHENTICATED
