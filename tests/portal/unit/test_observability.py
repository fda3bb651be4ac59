"""Correlation id, authentication seam, metrics by route template, and the probes."""

from __future__ import annotations

import pytest
from crm_platform import context, errors
from crm_platform.auth import RemoteKeys, TokenVerifier
from crm_platform.testing.tokens import admin_token
from crm_portal.entrypoints.http import auth
from flask import Flask, Request
from flask.testing import FlaskClient
from prometheus_client import REGISTRY

from tests.portal.unit.fakes import CUSTOMER_ID, FakeAnalytics, FakeCustomers, FakeRpcError


def test_correlation_id_is_echoed_and_reaches_the_backend_call(
    client: FlaskClient, customers: FakeCustomers
) -> None:
    response = client.get(
        f"/api/v1/customers/{CUSTOMER_ID}", headers={"X-Correlation-ID": "order-42.retry-1"}
    )

    assert response.headers["X-Correlation-ID"] == "order-42.retry-1"
    assert customers.last.correlation_id == "order-42.retry-1"


def test_correlation_id_is_in_the_problem_body(
    client: FlaskClient, customers: FakeCustomers
) -> None:
    customers.failure = FakeRpcError.of(errors.NotFound("no such customer"))

    response = client.get(
        f"/api/v1/customers/{CUSTOMER_ID}", headers={"X-Correlation-ID": "trace-me"}
    )

    assert response.status_code == 404
    assert response.headers["X-Correlation-ID"] == "trace-me"
    assert response.get_json(force=True)["correlation_id"] == "trace-me"


@pytest.mark.parametrize("incoming", [None, "", "has spaces", "x" * 129, "semi;colon"])
def test_a_missing_or_unusable_correlation_id_is_replaced(
    client: FlaskClient, customers: FakeCustomers, incoming: str | None
) -> None:
    headers = {} if incoming is None else {"X-Correlation-ID": incoming}

    response = client.get(f"/api/v1/customers/{CUSTOMER_ID}", headers=headers)

    created = response.headers["X-Correlation-ID"]
    assert created
    assert created != incoming
    assert customers.last.correlation_id == created


def test_request_context_does_not_leak_into_the_next_request(
    client: FlaskClient, customers: FakeCustomers
) -> None:
    client.get(f"/api/v1/customers/{CUSTOMER_ID}", headers={"X-Correlation-ID": "first"})
    client.get(f"/api/v1/customers/{CUSTOMER_ID}")

    assert customers.calls[1].correlation_id != "first"
    assert context.correlation_id.get() is None
    assert context.principal.get() is context.SYSTEM


def test_backend_calls_are_made_as_the_authenticated_principal(
    client: FlaskClient, customers: FakeCustomers
) -> None:
    token = admin_token("admin-7")

    client.get(f"/api/v1/customers/{CUSTOMER_ID}", headers={"Authorization": f"Bearer {token}"})

    assert customers.last.principal.subject == "admin-7"
    assert customers.last.principal.token == token  # forwarded to the backend


def test_a_failed_authentication_is_a_401_problem_before_any_backend_call(
    client: FlaskClient, customers: FakeCustomers, monkeypatch: pytest.MonkeyPatch
) -> None:
    def reject(request: Request) -> context.Principal:
        raise errors.Unauthenticated("the token has expired")

    monkeypatch.setattr(auth, "authenticate", reject)

    response = client.get(f"/api/v1/customers/{CUSTOMER_ID}")

    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert customers.calls == []


def test_probes_are_not_authenticated(client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    def reject(request: Request) -> context.Principal:
        raise errors.Unauthenticated("no token")

    monkeypatch.setattr(auth, "authenticate", reject)

    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_metrics_are_labelled_by_route_template(client: FlaskClient) -> None:
    route = "/api/v1/customers/{customer_id}"
    before = sample("crm_http_requests_total", route=route, method="GET", status="200")
    observed = sample("crm_http_request_duration_seconds_count", route=route, method="GET")

    client.get(f"/api/v1/customers/{CUSTOMER_ID}")

    assert sample("crm_http_requests_total", route=route, method="GET", status="200") == before + 1
    assert (
        sample("crm_http_request_duration_seconds_count", route=route, method="GET") == observed + 1
    )


def test_unmatched_paths_share_one_label(client: FlaskClient) -> None:
    before = sample("crm_http_requests_total", route="unmatched", method="GET", status="404")

    client.get("/api/v1/customers/not-a-uuid")
    client.get("/robots.txt")

    assert (
        sample("crm_http_requests_total", route="unmatched", method="GET", status="404")
        == before + 2
    )


def test_healthz_says_alive(client: FlaskClient) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json == {"status": "alive"}


def test_until_the_signing_keys_are_known_readyz_and_tokens_answer_503(app: Flask) -> None:
    endpoint_down = RemoteKeys(lambda timeout: (_ for _ in ()).throw(OSError("refused")))
    auth.use_verifier(app, TokenVerifier(endpoint_down))
    client = app.test_client()

    ready = client.get("/readyz")
    call = client.get(
        f"/api/v1/customers/{CUSTOMER_ID}", headers={"Authorization": f"Bearer {admin_token()}"}
    )

    for response in (ready, call):
        assert response.status_code == 503
        assert response.mimetype == "application/problem+json"
        assert response.headers["Retry-After"] == "1"


def test_readyz_is_ready_while_a_backend_is_down(
    client: FlaskClient, analytics: FakeAnalytics
) -> None:
    # the gateway serves login and the other backends while one is down: readiness does not
    # depend on a backend, the backend's own routes answer 503
    analytics.serving = False

    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json["status"] == "ready"
