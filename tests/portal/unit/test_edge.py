"""The edge: authentication and role checks per route, rate limits, Idempotency-Key, and
problem+json for every error status."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from crm_platform.settings import ConfigurationError
from crm_platform.testing.required import unavailable
from crm_platform.testing.tokens import (
    admin_token,
    claims_for,
    customer_token,
    issue_token,
    partner_token,
    service_token,
    sign,
    staff_token,
)
from crm_portal.adapters.backends import Backends
from crm_portal.config import SERVICE_NAME, PortalSettings
from crm_portal.entrypoints.http import idempotency
from crm_portal.entrypoints.http.app import create_app
from crm_portal.entrypoints.http.idempotency import MemoryStore, Record, RedisStore
from crm_proto.crm.marketing.v1 import forms_pb2
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.portal.unit.fakes import (
    CUSTOMER_ID,
    FakeAnalytics,
    FakeBackend,
    FakeCustomers,
    FakeRpcError,
    verifying,
)
from tests.portal.unit.test_problems import problem

CUSTOMERS = "/api/v1/customers"
CUSTOMER_URL = f"{CUSTOMERS}/{CUSTOMER_ID}"
REDIS_URL = "redis://127.0.0.1:6379/15"
SELF = customer_token(CUSTOMER_ID)  # the customer whose record CUSTOMER_URL is
PARTNER = partner_token("5f1c7e0a-9b7d-4f0e-8d7a-2b6c1e9f3a40")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# -- authentication and roles -------------------------------------------------------------------


def test_no_token_is_a_401_problem_and_reaches_no_backend(
    anonymous: FlaskClient, customers: FakeCustomers
) -> None:
    response = anonymous.get(CUSTOMERS)

    problem(response, 401)
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert customers.calls == []


@pytest.mark.parametrize(
    "token",
    [
        "not-a-jwt",
        sign(claims_for(expires_in=-120)),
        sign(claims_for(audience="another-api")),
    ],
    ids=["garbage", "expired", "wrong-audience"],
)
def test_a_bad_token_is_a_401_problem(
    anonymous: FlaskClient, customers: FakeCustomers, token: str
) -> None:
    response = anonymous.get(CUSTOMERS, headers=bearer(token))

    problem(response, 401)
    assert customers.calls == []


def test_public_routes_need_no_token(anonymous: FlaskClient) -> None:
    for path in ("/healthz", "/readyz", "/openapi.json", "/docs"):
        assert anonymous.get(path).status_code == 200, path


@pytest.mark.parametrize(
    ("token", "method", "path", "body", "status"),
    [
        (staff_token("analyst"), "get", CUSTOMERS, None, 200),
        (staff_token("analyst"), "post", CUSTOMERS, {"name": "A"}, 403),
        (staff_token("sales_rep"), "post", CUSTOMERS, {"name": "A"}, 201),
        (staff_token("sales_rep"), "post", f"{CUSTOMER_URL}/blacklist", {"reason": "x"}, 403),
        (staff_token("manager"), "post", f"{CUSTOMER_URL}/blacklist", {"reason": "x"}, 200),
        (staff_token("service_agent"), "get", "/api/v1/analytics/segments/demographics", None, 403),
        (staff_token("analyst"), "get", "/api/v1/analytics/segments/demographics", None, 200),
        (service_token("customers:read"), "get", CUSTOMERS, None, 200),
        (service_token("customers:read"), "post", CUSTOMERS, {"name": "A"}, 403),
        (service_token("customers:write"), "post", CUSTOMERS, {"name": "A"}, 201),
        # a customer: their own record and timeline (the service checks which is theirs)
        (SELF, "get", CUSTOMER_URL, None, 200),
        (SELF, "patch", CUSTOMER_URL, {"city": "Suzhou"}, 200),
        (SELF, "get", f"{CUSTOMER_URL}/timeline", None, 200),
        (SELF, "put", f"{CUSTOMER_URL}/consents/sms", {"granted": True}, 200),
        (SELF, "get", CUSTOMERS, None, 403),
        (SELF, "post", CUSTOMERS, {"name": "A"}, 403),
        (SELF, "post", f"{CUSTOMER_URL}/merge", {"merged_id": CUSTOMER_ID}, 403),
        (SELF, "get", "/api/v1/analytics/segments/demographics", None, 403),
        (issue_token("nobody", roles=[]), "get", CUSTOMERS, None, 403),
        # a partner user: reads what is assigned to their partner (the service checks which)
        (PARTNER, "get", CUSTOMERS, None, 200),
        (PARTNER, "get", CUSTOMER_URL, None, 200),
        (PARTNER, "get", f"{CUSTOMER_URL}/timeline", None, 200),
        (PARTNER, "patch", CUSTOMER_URL, {"city": "Suzhou"}, 403),
        (PARTNER, "post", CUSTOMERS, {"name": "A"}, 403),
        (PARTNER, "post", f"{CUSTOMER_URL}/timeline", {"channel": "web", "summary": "x"}, 403),
        (PARTNER, "put", f"{CUSTOMER_URL}/consents/sms", {"granted": True}, 403),
        (PARTNER, "post", f"{CUSTOMER_URL}/blacklist", {"reason": "x"}, 403),
        (PARTNER, "post", "/api/v1/customers/recognize", {"email": "a@example.com"}, 403),
        (PARTNER, "get", "/api/v1/analytics/segments/demographics", None, 403),
    ],
)  # fmt: skip
def test_roles_and_scopes_per_route(
    anonymous: FlaskClient,
    customers: FakeCustomers,
    token: str,
    method: str,
    path: str,
    body: Any,
    status: int,
) -> None:
    response = getattr(anonymous, method)(path, json=body, headers=bearer(token))

    assert response.status_code == status, response.get_data(as_text=True)
    if status == 403:
        problem(response, 403)
        assert customers.calls == []


def test_authorization_comes_before_validation(anonymous: FlaskClient) -> None:
    """An unauthorized caller learns nothing about what a valid request looks like."""
    response = anonymous.post(
        CUSTOMERS, json={"colour": "red"}, headers=bearer(staff_token("analyst"))
    )

    problem(response, 403)


# -- problem+json for every error ---------------------------------------------------------------


def test_every_error_status_is_a_problem(
    client: FlaskClient, anonymous: FlaskClient, customers: FakeCustomers
) -> None:
    problem(anonymous.get(CUSTOMERS), 401)
    problem(client.get(CUSTOMERS, headers=bearer(customer_token(CUSTOMER_ID))), 403)
    problem(client.get("/api/v1/nothing"), 404)
    problem(client.get("/nothing"), 404)
    problem(client.delete(CUSTOMERS), 405)
    problem(
        client.post(CUSTOMERS, data="x" * (1024 * 1024 + 1), content_type="application/json"), 413
    )
    problem(client.post(CUSTOMERS, data="name=A", content_type="text/plain"), 415)
    problem(client.post(CUSTOMERS, json={"no_such_field": 1}), 422)
    customers.failure = RuntimeError("bug")
    problem(client.get(CUSTOMER_URL), 500)


# -- rate limits --------------------------------------------------------------------------------


@pytest.fixture
def limited(customers: FakeCustomers, analytics: FakeAnalytics) -> Flask:
    return verifying(
        create_app(Backends({"customer": customers, "analytics": analytics}), rate_limit="2/minute")
    )


def test_the_limit_per_caller_is_a_429_problem_with_retry_after(limited: Flask) -> None:
    client = limited.test_client()
    headers = bearer(admin_token("limited-admin"))

    first = client.get(CUSTOMER_URL, headers=headers)
    client.get(CUSTOMER_URL, headers=headers)
    third = client.get(CUSTOMER_URL, headers=headers)

    assert first.status_code == 200
    assert first.headers["X-RateLimit-Limit"] == "2"
    assert first.headers["X-RateLimit-Remaining"] == "1"
    assert "Retry-After" not in first.headers
    body = problem(third, 429)
    assert "2 per 1 minute" in body["detail"]
    assert 0 < int(third.headers["Retry-After"]) <= 60
    assert third.headers["X-RateLimit-Remaining"] == "0"


def test_limits_count_per_principal_then_per_address(limited: Flask) -> None:
    client = limited.test_client()
    for _ in range(2):
        client.get(CUSTOMER_URL, headers=bearer(admin_token("first-admin")))

    assert client.get(CUSTOMER_URL, headers=bearer(admin_token("first-admin"))).status_code == 429
    assert client.get(CUSTOMER_URL, headers=bearer(admin_token("other-admin"))).status_code == 200
    # without a token the address counts (and the 401s are not limited first)
    assert client.get(CUSTOMERS).status_code == 401


def test_probes_and_docs_are_not_limited(limited: Flask) -> None:
    client = limited.test_client()

    for _ in range(5):
        assert client.get("/healthz").status_code == 200
        assert client.get("/openapi.json").status_code == 200


def test_the_rate_limit_is_configured_from_the_environment() -> None:
    defaults = PortalSettings.from_env(SERVICE_NAME, {})
    assert (defaults.rate_limit, defaults.redis_url) == ("600/minute", None)
    settings = PortalSettings.from_env(
        SERVICE_NAME,
        {"CRM_PORTAL_RATE_LIMIT": "20/second;5000/hour", "CRM_REDIS_URL": "redis://cache:6379/0"},
    )
    assert (settings.rate_limit, settings.redis_url) == (
        "20/second;5000/hour",
        "redis://cache:6379/0",
    )
    with pytest.raises(ConfigurationError, match="CRM_PORTAL_RATE_LIMIT"):
        PortalSettings.from_env(SERVICE_NAME, {"CRM_PORTAL_RATE_LIMIT": "lots"})
    with pytest.raises(ConfigurationError, match="CRM_REDIS_URL"):
        PortalSettings.from_env(SERVICE_NAME, {"CRM_REDIS_URL": "http://cache"})


# -- Idempotency-Key ----------------------------------------------------------------------------


def create(client: FlaskClient, key: str, name: str = "Li Na", **headers: str) -> TestResponse:
    response: TestResponse = client.post(
        CUSTOMERS, json={"name": name}, headers={"Idempotency-Key": key, **headers}
    )
    return response


def test_a_retry_with_the_same_key_gets_the_first_answer(
    client: FlaskClient, customers: FakeCustomers
) -> None:
    first = create(client, "key-1")
    retry = create(client, "key-1")

    assert retry.status_code == first.status_code == 201
    assert retry.get_data() == first.get_data()
    assert retry.headers["Location"] == first.headers["Location"]
    assert retry.headers["ETag"] == first.headers["ETag"]
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert [c.method for c in customers.calls] == ["create_customer"]  # created once
    assert customers.last.request.idempotency_key == "key-1"  # the service dedupes too


def test_the_same_key_with_another_request_is_a_422_problem(
    client: FlaskClient, customers: FakeCustomers
) -> None:
    create(client, "key-2")

    response = create(client, "key-2", name="Someone Else")

    body = problem(response, 422)
    assert body["type"] == "/problems/idempotency-key-reused"
    assert len(customers.calls) == 1


def test_keys_belong_to_one_caller_and_one_route(
    client: FlaskClient, customers: FakeCustomers
) -> None:
    create(client, "key-3")
    create(client, "key-3", Authorization=f"Bearer {admin_token('another-admin')}")
    client.post(
        f"{CUSTOMER_URL}/blacklist", json={"name": "Li Na"}, headers={"Idempotency-Key": "key-3"}
    )

    assert [c.method for c in customers.calls] == ["create_customer", "create_customer"]


def test_without_a_key_every_request_runs(client: FlaskClient, customers: FakeCustomers) -> None:
    client.post(CUSTOMERS, json={"name": "A"})
    client.post(CUSTOMERS, json={"name": "A"})

    assert len(customers.calls) == 2


def test_a_failed_request_releases_its_key(client: FlaskClient, customers: FakeCustomers) -> None:
    import grpc

    customers.failure = FakeRpcError.with_code(grpc.StatusCode.UNAVAILABLE)
    assert create(client, "key-4").status_code == 503

    assert create(client, "key-4").status_code == 201
    assert len(customers.calls) == 2


def test_a_concurrent_duplicate_is_a_409_problem_while_the_first_runs(
    app: Flask, client: FlaskClient, customers: FakeCustomers
) -> None:
    started, release = threading.Event(), threading.Event()
    answer = customers.responses["create_customer"]
    seen: list[TestResponse] = []

    def slow_create(method: Any, request: Any) -> Any:
        customers.calls.append(request)
        started.set()
        release.wait(5)
        return answer

    customers.call = slow_create  # type: ignore[method-assign]
    first = threading.Thread(
        target=lambda: seen.append(create(app.test_client(), "key-5", **auth()))
    )
    first.start()
    assert started.wait(5)

    duplicate = create(client, "key-5")

    release.set()
    first.join(5)
    body = problem(duplicate, 409)
    assert body["type"] == "/problems/idempotency-in-flight"
    assert duplicate.headers["Retry-After"] == "1"
    assert seen[0].status_code == 201
    assert len(customers.calls) == 1


def auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {admin_token()}"}


def test_a_bad_key_is_a_422_problem(client: FlaskClient, customers: FakeCustomers) -> None:
    body = problem(create(client, "has space"), 422)

    assert [e["field"] for e in body["errors"]] == ["Idempotency-Key"]
    assert customers.calls == []


def test_memory_store_claims_once_and_forgets_after_the_ttl() -> None:
    now = [0.0]
    store = MemoryStore(clock=lambda: now[0])

    assert store.claim("k", Record("f"), ttl=10) is None
    assert store.claim("k", Record("g"), ttl=10) == Record("f")
    now[0] = 11
    assert store.claim("k", Record("g"), ttl=10) is None


# -- Redis: what several workers and replicas share ---------------------------------------------


@pytest.fixture
def redis_url() -> Iterator[str]:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError:
        unavailable("no Redis at 127.0.0.1:6379")
    yield REDIS_URL
    client.close()


def test_redis_store_claims_with_set_nx(redis_url: str) -> None:
    store = RedisStore(redis_url)
    key = f"test:{uuid.uuid4().hex}"

    assert store.claim(key, Record("f"), ttl=30) is None
    assert store.claim(key, Record("g"), ttl=30) == Record("f")
    stored = Record("f", 201, (("Location", "/x"),), b'{"id": 1}')
    store.save(key, stored, ttl=30)
    assert store.claim(key, Record("f"), ttl=30) == stored
    store.release(key)
    assert store.claim(key, Record("h"), ttl=30) is None
    store.release(key)


def test_workers_share_limits_and_keys_through_redis(
    redis_url: str, customers: FakeCustomers, analytics: FakeAnalytics
) -> None:
    backends = Backends({"customer": customers, "analytics": analytics})
    workers = [
        verifying(create_app(backends, rate_limit="3/minute", redis_url=redis_url)).test_client()
        for _ in range(2)
    ]
    headers = bearer(admin_token(f"admin-{uuid.uuid4().hex}"))
    key = uuid.uuid4().hex

    first = workers[0].post(
        CUSTOMERS, json={"name": "A"}, headers={**headers, "Idempotency-Key": key}
    )
    retry = workers[1].post(
        CUSTOMERS, json={"name": "A"}, headers={**headers, "Idempotency-Key": key}
    )
    third = workers[0].get(CUSTOMER_URL, headers=headers)
    fourth = workers[1].get(CUSTOMER_URL, headers=headers)

    assert (first.status_code, retry.status_code, third.status_code) == (201, 201, 200)
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert [c.method for c in customers.calls] == ["create_customer", "get_customer"]
    problem(fourth, 429)


def test_an_unreachable_redis_is_a_503_problem(
    customers: FakeCustomers, analytics: FakeAnalytics
) -> None:
    app = verifying(create_app(Backends({"customer": customers, "analytics": analytics})))
    app.extensions[idempotency.STORE_KEY] = RedisStore("redis://127.0.0.1:1/0")
    client = app.test_client()

    response = create(client, "key-6", **auth())

    problem(response, 503)
    assert customers.calls == []


def test_rate_limits_fall_back_to_memory_while_redis_is_unreachable(
    customers: FakeCustomers, analytics: FakeAnalytics
) -> None:
    app = verifying(
        create_app(
            Backends({"customer": customers, "analytics": analytics}),
            rate_limit="2/minute",
            redis_url="redis://127.0.0.1:1/0",
        )
    )
    client = app.test_client()

    statuses = [client.get(CUSTOMER_URL, headers=auth()).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]


def test_a_public_routes_own_limit_is_the_configured_one_per_address(
    customers: FakeCustomers, analytics: FakeAnalytics
) -> None:
    submitted = forms_pb2.SubmitFormResponse(lead_id=str(uuid.uuid4()))
    marketing = FakeBackend({"submit_form": submitted})
    app = create_app(
        Backends({"customer": customers, "analytics": analytics, "marketing": marketing})
    )
    app.config["CRM_PORTAL_PUBLIC_FORM_LIMIT"] = "2/minute"
    path = f"/api/v1/public/forms/{uuid.uuid4()}"
    visitor = {"name": "Zhou Min", "email": "zhou.min@example.cn"}

    def post(address: str) -> int:
        client = app.test_client()
        return client.post(path, json=visitor, environ_base={"REMOTE_ADDR": address}).status_code

    assert [post("127.0.0.31") for _ in range(3)] == [201, 201, 429]
    assert post("127.0.0.32") == 201
    assert len(marketing.calls) == 3
