"""The gateway and the customer service refuse the same rule-breaking input, naming the same
fields. What only the customer service can judge (a name on create, email and phone syntax, a
birth date in the past, clearing a required field) is refused by the service behind the real
gateway as a 422 naming the field as the client sent it, and changes nothing.

The unit tests (tests/portal/unit/test_problems.py) cover what the gateway refuses itself,
before any call; here a real customer gRPC server answers, on a migrated database."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from crm_platform.grpc_errors import details_of
from crm_platform.testing.tokens import admin_token, authorized_channel
from crm_portal.adapters.grpc_clients import connect
from crm_portal.adapters.messages import renamed_path
from crm_portal.entrypoints.http.app import create_app
from crm_portal.entrypoints.http.routes import CODEC, READS, ROUTES
from crm_proto.crm.customer.v1 import customer_pb2, customer_pb2_grpc
from flask.testing import FlaskClient
from sqlalchemy import Engine

from tests.customer.integration.conftest import engine, target  # noqa: F401 - fixtures
from tests.customer.integration.support import outbox_types, row_count
from tests.portal.unit.fakes import verifying

CUSTOMERS = "/api/v1/customers"


@pytest.fixture
def client(target: str) -> Iterator[FlaskClient]:  # noqa: F811
    backends = connect({"customer": target}, READS)
    client = verifying(create_app(backends)).test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {admin_token()}"
    yield client
    backends.close()


@pytest.fixture
def existing(client: FlaskClient) -> dict[str, Any]:
    response = client.post(CUSTOMERS, json={"name": "Wang Fang", "email": "wang@example.com"})
    assert response.status_code == 201, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


# (method, path below the customer's URL or CUSTOMERS, JSON body, fields named in `errors`)
REFUSED_BY_THE_SERVICE: list[tuple[str, str, dict[str, Any], list[str]]] = [
    ("post", CUSTOMERS, {}, ["name"]),
    ("post", CUSTOMERS, {"name": "A", "email": "not-an-email"}, ["email"]),
    ("post", CUSTOMERS, {"name": "A", "birth_date": "2999-01-01"}, ["birth_date"]),
    ("post", CUSTOMERS, {"name": "A", "phone": "call me"}, ["phone"]),
    ("patch", "{id}", {"name": None}, ["name"]),
    ("post", f"{CUSTOMERS}/recognize", {}, ["email"]),  # an email or a phone
    ("post", f"{CUSTOMERS}/recognize", {"email": "x@"}, ["email"]),
]


@pytest.mark.parametrize(
    ("method", "path", "body", "error_fields"),
    REFUSED_BY_THE_SERVICE,
    ids=[f"{i}-{method}" for i, (method, *_rest) in enumerate(REFUSED_BY_THE_SERVICE)],
)
def test_the_service_refuses_and_the_gateway_names_the_json_field(
    client: FlaskClient,
    engine: Engine,  # noqa: F811
    existing: dict[str, Any],
    method: str,
    path: str,
    body: dict[str, Any],
    error_fields: list[str],
) -> None:
    url = path.format(id=f"{CUSTOMERS}/{existing['id']}")
    events_before = outbox_types(engine)

    response = getattr(client, method)(url, json=body)

    assert response.status_code == 422, response.get_json()
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert sorted(error["field"] for error in problem["errors"]) == sorted(error_fields)
    assert all(error["message"] for error in problem["errors"])
    assert row_count(engine, "customers") == 1
    assert outbox_types(engine) == events_before
    assert client.get(f"{CUSTOMERS}/{existing['id']}").get_json()["version"] == existing["version"]


def test_a_page_larger_than_the_cap_is_capped_and_a_negative_one_refused(
    client: FlaskClient,
    existing: dict[str, Any],
) -> None:
    capped = client.get(f"{CUSTOMERS}?page_size=100000")
    refused = client.get(f"{CUSTOMERS}?page_size=-1")

    assert capped.status_code == 200
    assert [item["id"] for item in capped.get_json()["items"]] == [existing["id"]]
    assert refused.status_code == 422
    assert [error["field"] for error in refused.get_json()["errors"]] == ["page_size"]


# What breaks a rule of customer.proto, as the JSON a client sends and as the message a gRPC
# client would send the service directly.
RULE_BREAKING: list[tuple[dict[str, Any], customer_pb2.Customer]] = [
    ({"name": "x" * 201}, customer_pb2.Customer(name="x" * 201)),
    ({"name": "A", "tags": ["ok", ""]}, customer_pb2.Customer(name="A", tags=["ok", ""])),
    (
        {"name": "A", "preferences": {"k" * 101: "v"}},
        customer_pb2.Customer(name="A", preferences={"k" * 101: "v"}),
    ),
    ({"name": "A", "owner_id": "rep-7"}, customer_pb2.Customer(name="A", owner_id="rep-7")),
    (
        {"name": "A", "city": "Hang\u0000zhou"},
        customer_pb2.Customer(name="A", city="Hang\u0000zhou"),
    ),
    (
        {"name": "A", "region": "r" * 101, "phone": "1" * 33},
        customer_pb2.Customer(name="A", region="r" * 101, phone="1" * 33),
    ),
]


@pytest.mark.parametrize(("body", "customer"), RULE_BREAKING)
def test_the_gateway_and_the_service_refuse_the_same_input_naming_the_same_fields(
    client: FlaskClient,
    target: str,  # noqa: F811
    body: dict[str, Any],
    customer: customer_pb2.Customer,
) -> None:
    route = next(row for row in ROUTES if row.name == "create_customer")
    channel = authorized_channel(target, admin_token())
    try:
        with pytest.raises(grpc.RpcError) as refused:
            customer_pb2_grpc.CustomerServiceStub(channel).CreateCustomer(
                customer_pb2.CreateCustomerRequest(customer=customer), timeout=10
            )
    finally:
        channel.close()
    service = details_of(refused.value)

    gateway = client.post(CUSTOMERS, json=body)

    assert service.code == grpc.StatusCode.INVALID_ARGUMENT
    assert gateway.status_code == 422
    prefixes = route.json_prefixes(CODEC)
    service_fields = sorted(
        renamed_path(CODEC, route.request_type, v.field, prefixes) for v in service.violations
    )
    assert sorted(error["field"] for error in gateway.get_json()["errors"]) == service_fields
