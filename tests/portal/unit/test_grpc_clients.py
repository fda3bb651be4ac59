"""The real gRPC clients against an in-process server: metadata, deadlines, rich errors, and a
backend that is down failing only its own routes."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent import futures
from dataclasses import dataclass, field
from typing import Any

import grpc
import pytest
from crm_platform import errors, grpc_errors
from crm_platform.testing.tokens import admin_token
from crm_portal.adapters.grpc_clients import QUERY_DEADLINE, connect
from crm_portal.entrypoints.http.app import create_app
from crm_portal.entrypoints.http.routes import READS
from crm_proto.crm.analytics.v1 import analytics_pb2, analytics_pb2_grpc
from crm_proto.crm.customer.v1 import customer_pb2_grpc
from flask.testing import FlaskClient

from tests.portal.unit.fakes import CUSTOMER_ID, OTHER_ID, sample_customer, verifying

TOKEN = admin_token()


@dataclass
class Seen:
    metadata: dict[str, str] = field(default_factory=dict)
    time_remaining: float | None = None


class Customers(customer_pb2_grpc.CustomerServiceServicer):
    """Only the methods these tests call; the others answer UNIMPLEMENTED."""

    def __init__(self, seen: Seen) -> None:
        self.seen = seen

    def GetCustomer(self, request: Any, context: grpc.ServicerContext) -> Any:
        self.seen.metadata = dict(context.invocation_metadata())  # type: ignore[arg-type]
        self.seen.time_remaining = context.time_remaining()
        return sample_customer(request.id)

    def CreateCustomer(self, request: Any, context: grpc.ServicerContext) -> Any:
        context.abort_with_status(
            grpc_errors.status_for(errors.AlreadyExists("email already known", OTHER_ID))
        )


class Analytics(analytics_pb2_grpc.AnalyticsServiceServicer):
    def GetDemographicSegments(self, request: Any, context: grpc.ServicerContext) -> Any:
        return analytics_pb2.DemographicSegments(total_customers=1)


@dataclass
class Backend:
    target: str
    seen: Seen


@pytest.fixture
def backend() -> Iterator[Backend]:
    """One server playing both services, as the portal only sees targets."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    seen = Seen()
    customer_pb2_grpc.add_CustomerServiceServicer_to_server(Customers(seen), server)  # type: ignore[abstract]
    analytics_pb2_grpc.add_AnalyticsServiceServicer_to_server(Analytics(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield Backend(f"127.0.0.1:{port}", seen)
    finally:
        server.stop(0)


@pytest.fixture
def client(backend: Backend) -> FlaskClient:
    targets = {"customer": backend.target, "analytics": backend.target}
    client = verifying(create_app(connect(targets, READS))).test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {TOKEN}"
    return client


def test_correlation_id_and_deadline_reach_the_backend(
    client: FlaskClient, backend: Backend
) -> None:
    response = client.get(
        f"/api/v1/customers/{CUSTOMER_ID}", headers={"X-Correlation-ID": "from-the-browser"}
    )

    assert response.status_code == 200
    assert backend.seen.metadata["x-correlation-id"] == "from-the-browser"
    assert backend.seen.metadata["authorization"] == f"Bearer {TOKEN}"  # the caller's, forwarded
    assert backend.seen.time_remaining is not None
    # the wire carries the timeout rounded up to its unit, so allow a little above it
    assert 0 < backend.seen.time_remaining <= QUERY_DEADLINE + 0.1


def test_rich_error_details_survive_the_wire(client: FlaskClient) -> None:
    response = client.post("/api/v1/customers", json={"name": "A", "email": "a@example.com"})

    assert response.status_code == 409
    assert response.get_json(force=True)["existing_id"] == OTHER_ID


def test_a_backend_that_is_down_fails_only_its_own_routes_and_the_gateway_stays_ready(
    backend: Backend,
) -> None:
    targets = {"customer": backend.target, "analytics": "127.0.0.1:1"}  # nothing listens on 1
    client = verifying(create_app(connect(targets, READS))).test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {TOKEN}"

    down = client.get("/api/v1/analytics/segments/demographics")

    assert down.status_code == 503
    assert down.mimetype == "application/problem+json"
    assert client.get(f"/api/v1/customers/{CUSTOMER_ID}").status_code == 200
    assert client.get("/readyz").status_code == 200


@pytest.mark.parametrize("method", READS, ids=lambda m: m.full_name)
def test_retried_methods_only_read(method: Any) -> None:
    assert method.name.startswith(("Get", "List", "Recognize"))  # never a create


def test_a_read_named_twice_still_makes_a_working_channel(backend: Backend) -> None:
    # two route rows onto one RPC (GetCustomer for staff and for a customer's own record)
    targets = {"customer": backend.target, "analytics": backend.target}
    client = verifying(create_app(connect(targets, (*READS, *READS)))).test_client()

    response = client.get(
        f"/api/v1/customers/{CUSTOMER_ID}", headers={"Authorization": f"Bearer {TOKEN}"}
    )

    assert response.status_code == 200
