"""Errors answer RFC 9457 problem+json; what the contract's rules refuse never reaches a
backend. What only a service can judge (a name on create, phone syntax, ...) is refused by the
service itself: tests/portal/integration/test_customer_routes_refuse.py."""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from crm_platform import errors
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.portal.unit.fakes import CUSTOMER_ID, OTHER_ID, FakeCustomers, FakeRpcError

CUSTOMER_URL = f"/api/v1/customers/{CUSTOMER_ID}"


def problem(response: TestResponse, status: int) -> dict[str, Any]:
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    body: dict[str, Any] = response.get_json(force=True)
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    assert body["type"]
    assert body["instance"] == response.request.path
    assert body["correlation_id"] == response.headers["X-Correlation-ID"]
    return body


def fields(body: dict[str, Any]) -> list[str]:
    return [error["field"] for error in body["errors"]]


CUSTOMERS = "/api/v1/customers"


def raw(data: str | bytes, content_type: str = "application/json") -> dict[str, Any]:
    return {"data": data, "content_type": content_type}


def js(payload: Any, **headers: str) -> dict[str, Any]:
    return {"json": payload, "headers": {k.replace("_", "-"): v for k, v in headers.items()}}


# (method, path, keyword arguments of the test client, status, fields named in `errors`)
INVALID_REQUESTS: list[tuple[str, str, dict[str, Any], int, list[str] | None]] = [
    ("post", CUSTOMERS, raw("{"), 400, None),
    ("post", CUSTOMERS, raw(b"\xff\xfe"), 400, None),
    ("post", CUSTOMERS, raw(""), 400, None),
    # a NUL character no database can store, found by fuzzing the API
    (
        "post",
        CUSTOMERS,
        js({"name": "Li", "email": "li@example.com", "tags": ["a\u0000b"]}),
        422,
        ["tags[0]"],
    ),
    ("post", CUSTOMERS, raw("[" + " " * (1024 * 1024) + "]"), 413, None),
    ("post", CUSTOMERS, raw("name=x", "text/plain"), 415, None),
    ("post", CUSTOMERS, {"data": "{}"}, 415, None),
    ("post", CUSTOMERS, js([]), 422, [""]),
    ("post", CUSTOMERS, js({"name": "A", "colour": "red"}), 422, ["colour"]),
    ("post", CUSTOMERS, js({"name": "A", "source": "SALES_REP"}), 422, ["source"]),
    ("post", CUSTOMERS, js({"name": "A", "gender": "f"}), 422, ["gender"]),
    ("post", CUSTOMERS, js({"name": "A", "birth_date": "01/04/1990"}), 422, ["birth_date"]),
    ("post", CUSTOMERS, js({"name": "x" * 201}), 422, ["name"]),
    ("post", CUSTOMERS, js({"name": "A", "tags": ["ok", ""]}), 422, ["tags[1]"]),
    ("post", CUSTOMERS, js({"name": "A", "tags": ["t"] * 51}), 422, ["tags"]),
    ("post", CUSTOMERS, js({"name": 5}), 422, ["name"]),
    ("post", f"{CUSTOMERS}?dry_run=1", js({"name": "A"}), 422, ["dry_run"]),
    ("post", CUSTOMERS, js({"name": "A"}, Idempotency_Key="a b"), 422, ["Idempotency-Key"]),
    ("patch", CUSTOMER_URL, js({}), 422, [""]),
    ("patch", CUSTOMER_URL, js({"version": 3}), 422, [""]),
    ("patch", CUSTOMER_URL, js({"id": OTHER_ID}), 422, ["id"]),
    ("patch", CUSTOMER_URL, js({"name": "A"}, If_Match='W/"3"'), 422, ["If-Match"]),
    ("patch", CUSTOMER_URL, js({"name": "A", "version": 2}, If_Match='"3"'), 422, ["version"]),
    # more than an int64 holds, found by fuzzing the API
    ("patch", CUSTOMER_URL, js({"name": "A", "version": 2**70}), 422, ["version"]),
    ("get", f"{CUSTOMERS}?page_size=-1", {}, 422, ["page_size"]),
    ("get", f"{CUSTOMERS}?page_size=ten", {}, 422, ["page_size"]),
    ("get", f"{CUSTOMERS}?source=shop", {}, 422, ["source"]),
    ("get", f"{CUSTOMERS}?sort=name", {}, 422, ["sort"]),
    ("get", f"{CUSTOMERS}?tag=a&tag=b", {}, 422, ["tag"]),
    ("get", f"{CUSTOMER_URL}?expand=all", {}, 422, ["expand"]),
    ("post", f"{CUSTOMER_URL}/merge", js({"merged_id": "42"}), 422, ["merged_id"]),
    ("post", f"{CUSTOMER_URL}/merge", js({"id": OTHER_ID}), 422, ["merged_id", "id"]),
    ("post", f"{CUSTOMER_URL}/blacklist", js({"reason": "  "}), 422, ["reason"]),
    ("post", f"{CUSTOMER_URL}/blacklist", js({}), 422, ["reason"]),
    ("post", f"{CUSTOMER_URL}/unblacklist", js({"reason": 1}), 422, ["reason"]),
    ("put", f"{CUSTOMER_URL}/consents/email", js({"granted": "yes"}), 422, ["granted"]),
    ("post", f"{CUSTOMER_URL}/timeline", js({"channel": "fax", "summary": "x"}), 422, ["channel"]),
    (
        "post",
        f"{CUSTOMER_URL}/timeline",
        js({"channel": "web", "summary": "x", "occurred_at": "2025-01-01T00:00:00"}),
        422,
        ["occurred_at"],  # a timestamp without its offset is ambiguous
    ),
    ("get", f"{CUSTOMER_URL}/timeline?page_token=" + "t" * 1001, {}, 422, ["page_token"]),
    ("get", "/api/v1/analytics/segments/demographics?region=east", {}, 422, ["region"]),
    ("get", f"{CUSTOMERS}/not-a-uuid", {}, 404, None),
    ("put", f"{CUSTOMER_URL}/consents/fax", js({"granted": True}), 404, None),
    ("get", "/api/v1/nothing-here", {}, 404, None),
    ("delete", CUSTOMERS, {}, 405, None),
]


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "error_fields"),
    INVALID_REQUESTS,
    ids=[f"{i}-{status}-{method}" for i, (method, _, _, status, _) in enumerate(INVALID_REQUESTS)],
)
def test_invalid_request_is_a_problem_and_never_reaches_the_backend(
    client: FlaskClient,
    customers: FakeCustomers,
    method: str,
    path: str,
    kwargs: dict[str, Any],
    status: int,
    error_fields: list[str] | None,
) -> None:
    response = getattr(client, method)(path, **kwargs)

    body = problem(response, status)
    if error_fields is not None:
        assert sorted(fields(body)) == sorted(error_fields)
        assert all(error["message"] for error in body["errors"])
    assert customers.calls == []


def test_method_not_allowed_names_the_allowed_methods(client: FlaskClient) -> None:
    response = client.delete("/api/v1/customers")

    problem(response, 405)
    assert "POST" in response.headers["Allow"]
    assert "GET" in response.headers["Allow"]


def test_duplicate_is_409_with_the_existing_id(
    client: FlaskClient, customers: FakeCustomers
) -> None:
    customers.failure = FakeRpcError.of(
        errors.AlreadyExists("a customer with this email exists", OTHER_ID)
    )

    response = client.post("/api/v1/customers", json={"name": "A", "email": "a@example.com"})

    body = problem(response, 409)
    assert body["existing_id"] == OTHER_ID
    assert body["detail"] == "a customer with this email exists"


def test_backend_validation_is_422_with_the_json_field_names(
    client: FlaskClient, customers: FakeCustomers
) -> None:
    customers.failure = FakeRpcError.of(
        errors.ValidationFailed(
            [
                errors.FieldViolation("customer.acquisition_source", "is required"),
                errors.FieldViolation("customer.phone", "is not a phone number"),
                errors.FieldViolation('customer.preferences["lang"]', "is too long"),
            ]
        )
    )

    response = client.post("/api/v1/customers", json={"name": "A"})

    body = problem(response, 422)
    assert body["errors"] == [
        {"field": "source", "message": "is required"},
        {"field": "phone", "message": "is not a phone number"},
        {"field": 'preferences["lang"]', "message": "is too long"},
    ]


@pytest.mark.parametrize(
    ("code", "status"),
    [
        (grpc.StatusCode.NOT_FOUND, 404),
        (grpc.StatusCode.FAILED_PRECONDITION, 409),
        (grpc.StatusCode.ABORTED, 409),
        (grpc.StatusCode.PERMISSION_DENIED, 403),
        (grpc.StatusCode.UNAUTHENTICATED, 401),
        (grpc.StatusCode.UNAVAILABLE, 503),
        (grpc.StatusCode.DEADLINE_EXCEEDED, 504),
        (grpc.StatusCode.INTERNAL, 502),
    ],
)
def test_grpc_status_maps_to_http_status(
    client: FlaskClient, customers: FakeCustomers, code: grpc.StatusCode, status: int
) -> None:
    customers.failure = FakeRpcError.with_code(code, "backend says no at 10.0.0.7:50051")

    response = client.get(f"{CUSTOMER_URL}")

    body = problem(response, status)
    if status >= 500:
        assert "10.0.0.7" not in body["detail"]  # backend internals stay inside


def test_unavailable_backend_suggests_a_retry(
    client: FlaskClient, customers: FakeCustomers
) -> None:
    customers.failure = FakeRpcError.with_code(grpc.StatusCode.UNAVAILABLE)

    response = client.get(CUSTOMER_URL)

    problem(response, 503)
    assert response.headers["Retry-After"] == "1"


def test_unexpected_error_is_a_500_problem_not_a_page(
    client: FlaskClient, customers: FakeCustomers
) -> None:
    customers.failure = RuntimeError("bug")

    response = client.get(CUSTOMER_URL)

    body = problem(response, 500)
    assert "bug" not in body["detail"]
