"""Customer self-registration and the customer's own record, through the gateway with a fake
customer backend and in-memory identity storage."""

from __future__ import annotations

import grpc
import pytest
from crm_platform.errors import AlreadyExists
from crm_portal.adapters.backends import Backends
from crm_portal.adapters.keys import Ed25519Vault
from crm_portal.bootstrap import attach_identity
from crm_portal.config import IdentityConfig
from crm_portal.entrypoints.http.app import create_app
from crm_portal.service_layer.identity import IdentityService
from crm_proto.crm.common.v1 import common_pb2
from crm_proto.crm.customer.v1 import customer_pb2
from flask.testing import FlaskClient

from tests.portal.unit.fakes import CUSTOMER_ID, FakeAnalytics, FakeCustomers, FakeRpcError
from tests.portal.unit.identity_fakes import FakeUnitOfWork, Store, fast_passwords

REGISTRATION = {
    "email": "li.na@example.com",
    "password": "a long password",
    "name": "Li Na",
    "phone": "+86 138 0013 8000",
    "city": "Shanghai",
    "birth_date": "1990-04-01",
    "preferences": {"language": "zh"},
}
NEW = customer_pb2.RecognizeCustomerResponse(recognition=customer_pb2.RECOGNITION_NEW)


@pytest.fixture
def customers() -> FakeCustomers:
    backend = FakeCustomers()
    backend.responses["recognize_customer"] = NEW
    return backend


@pytest.fixture
def identity() -> IdentityService:
    store = Store()
    service = IdentityService(lambda: FakeUnitOfWork(store), fast_passwords(), Ed25519Vault(None))
    service.ensure_signing_key()
    service.bootstrap_admin("admin@example.com", "admin password 1")
    return service


@pytest.fixture
def client(customers: FakeCustomers, identity: IdentityService) -> FlaskClient:
    app = create_app(Backends(customers=customers, analytics=FakeAnalytics()))
    attach_identity(app, identity, IdentityConfig())
    return app.test_client()


def login(client: FlaskClient, username: str, password: str) -> dict[str, str]:
    response = client.post(
        "/api/v1/auth/token",
        data={"grant_type": "password", "username": username, "password": password},
    )
    assert response.status_code == 200, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['access_token']}"}


def test_registration_creates_the_customer_with_the_portal_service_token(
    client: FlaskClient, customers: FakeCustomers, identity: IdentityService
) -> None:
    response = client.post("/api/v1/portal/register", json=REGISTRATION)

    assert response.status_code == 201, response.get_json()
    assert response.headers["Location"] == "/api/v1/portal/me"
    body = response.get_json()
    assert body["account"]["kind"] == "customer"
    assert body["account"]["roles"] == ["customer"]
    assert body["account"]["customer_id"] == CUSTOMER_ID
    assert body["customer"]["id"] == CUSTOMER_ID
    methods = [call.method for call in customers.calls]
    assert methods == ["recognize_customer", "recognize_customer", "create_customer"]
    for call in customers.calls:
        assert call.principal.kind == common_pb2.ACTOR_KIND_SERVICE
        assert call.principal.token is not None
        claims = identity.verify(call.principal.token)
        assert (claims["sub"], claims["kind"]) == ("portal", "service")
        assert "customers:write" in claims["scope"].split()
    created = customers.last.request
    assert created.customer.acquisition_source == customer_pb2.ACQUISITION_SOURCE_PORTAL
    assert created.customer.email == "li.na@example.com"
    assert created.customer.birth_date == "1990-04-01"
    assert created.idempotency_key.startswith("portal-registration:")


def test_a_registered_customer_reads_and_changes_only_their_profile(
    client: FlaskClient, customers: FakeCustomers
) -> None:
    client.post("/api/v1/portal/register", json=REGISTRATION)
    headers = login(client, "li.na@example.com", "a long password")

    record = client.get("/api/v1/portal/me", headers=headers)
    assert record.status_code == 200
    assert record.headers["ETag"] == '"3"'
    assert customers.last.request.id == CUSTOMER_ID
    assert customers.last.principal.customer_id == CUSTOMER_ID  # the caller's own token

    changed = client.patch("/api/v1/portal/me", json={"city": None, "name": "Li"}, headers=headers)
    assert changed.status_code == 200
    update = customers.last.request
    assert update.customer.id == CUSTOMER_ID
    assert list(update.update_mask.paths) == ["name", "city"]

    for field, value in (
        ("email", "x@example.com"),
        ("blacklisted", False),
        ("owner_id", "u-1"),
        ("tags", ["vip"]),
        ("roles", ["admin"]),
    ):
        refused = client.patch("/api/v1/portal/me", json={field: value}, headers=headers)
        assert refused.status_code == 422, field


def test_staff_and_anonymous_callers_have_no_own_record(client: FlaskClient) -> None:
    staff = login(client, "admin@example.com", "admin password 1")
    assert client.get("/api/v1/portal/me", headers=staff).status_code == 403
    assert client.get("/api/v1/portal/me").status_code == 401


def test_a_blacklisted_contact_cannot_register(
    client: FlaskClient, customers: FakeCustomers
) -> None:
    customers.responses["recognize_customer"] = customer_pb2.RecognizeCustomerResponse(
        recognition=customer_pb2.RECOGNITION_BLACKLISTED
    )

    response = client.post("/api/v1/portal/register", json=REGISTRATION)

    assert response.status_code == 403
    assert response.mimetype == "application/problem+json"
    assert "create_customer" not in [call.method for call in customers.calls]


def test_a_duplicate_contact_is_409_without_saying_whose(
    client: FlaskClient, customers: FakeCustomers
) -> None:
    customers.responses["recognize_customer"] = customer_pb2.RecognizeCustomerResponse(
        recognition=customer_pb2.RECOGNITION_RETURNING
    )
    customers.failure = None

    def taken(request: object) -> object:
        raise FakeRpcError.of(AlreadyExists("customer x has this email", existing_id=CUSTOMER_ID))

    customers.create_customer = taken  # type: ignore[method-assign]

    response = client.post("/api/v1/portal/register", json=REGISTRATION)

    assert response.status_code == 409
    assert "existing_id" not in response.get_json()
    assert CUSTOMER_ID not in response.get_data(as_text=True)


def test_an_email_with_a_login_is_409(client: FlaskClient) -> None:
    assert client.post("/api/v1/portal/register", json=REGISTRATION).status_code == 201
    again = client.post("/api/v1/portal/register", json=REGISTRATION | {"phone": "+1 415 555 0100"})
    assert again.status_code == 409


@pytest.mark.parametrize(
    "change",
    [
        {"password": "short"},
        {"phone": None},
        {"email": "not an email"},
        {"blacklisted": True},
    ],
)
def test_invalid_registrations_are_422(client: FlaskClient, change: dict[str, object]) -> None:
    body = {k: v for k, v in (REGISTRATION | change).items() if v is not None}
    if change == {"phone": None}:
        body.pop("phone", None)
    assert client.post("/api/v1/portal/register", json=body).status_code == 422


def test_the_backend_being_down_is_503(client: FlaskClient, customers: FakeCustomers) -> None:
    customers.failure = FakeRpcError.with_code(grpc.StatusCode.UNAVAILABLE)
    assert client.post("/api/v1/portal/register", json=REGISTRATION).status_code == 503
