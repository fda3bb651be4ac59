"""Identity over gRPC on a real database: the public methods need no token, the others an
admin's; the keys it publishes are the ones every service fetches in the background."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import jwt
import pytest
from crm_identity.config import IdentitySettings
from crm_platform.auth import KeysUnavailable, RemoteKeys, TokenVerifier
from crm_platform.db import build_engine
from crm_platform.errors import Unauthenticated
from crm_platform.testing.processes import free_port, wait_until
from crm_proto.crm.customer.v1 import customer_pb2
from crm_proto.crm.identity.v1 import events_pb2, identity_pb2, identity_pb2_grpc

from tests.customer.integration.support import outbox_events
from tests.identity.integration.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, RunningIdentity

pytestmark = pytest.mark.integration


@pytest.fixture
def stub(running_identity: RunningIdentity) -> Iterator[identity_pb2_grpc.IdentityServiceStub]:
    with grpc.insecure_channel(running_identity.target) as channel:
        yield identity_pb2_grpc.IdentityServiceStub(channel)


def admin_token(stub: identity_pb2_grpc.IdentityServiceStub) -> str:
    issued = stub.IssueToken(
        identity_pb2.IssueTokenRequest(
            grant_type="password", username=ADMIN_EMAIL, password=ADMIN_PASSWORD
        ),
        timeout=5,
    )
    assert not issued.error, issued.error_description
    return issued.access_token


def as_admin(stub: identity_pb2_grpc.IdentityServiceStub) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {admin_token(stub)}"),)


def test_the_bootstrap_admin_gets_a_token_signed_by_a_published_key(
    stub: identity_pb2_grpc.IdentityServiceStub,
) -> None:
    token = admin_token(stub)
    published = stub.GetPublicKeys(identity_pb2.GetPublicKeysRequest(), timeout=5)

    kid = jwt.get_unverified_header(token)["kid"]
    assert [key.kid for key in published.keys] == [kid]
    assert (published.keys[0].kty, published.keys[0].crv) == ("OKP", "Ed25519")


def test_a_refused_grant_is_an_oauth_answer(stub: identity_pb2_grpc.IdentityServiceStub) -> None:
    refused = stub.IssueToken(
        identity_pb2.IssueTokenRequest(
            grant_type="password", username=ADMIN_EMAIL, password="not the password"
        ),
        timeout=5,
    )
    unsupported = stub.IssueToken(identity_pb2.IssueTokenRequest(grant_type="implicit"), timeout=5)

    assert (refused.error, refused.access_token) == ("invalid_grant", "")
    assert unsupported.error == "unsupported_grant_type"


def test_admin_methods_need_an_admins_token(stub: identity_pb2_grpc.IdentityServiceStub) -> None:
    with pytest.raises(grpc.RpcError) as anonymous:
        stub.ListKeys(identity_pb2.ListKeysRequest(), timeout=5)
    listed = stub.ListKeys(identity_pb2.ListKeysRequest(), metadata=as_admin(stub), timeout=5)

    assert anonymous.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert [key.active for key in listed.keys] == [True]


def test_accounts_are_created_and_listed_by_an_admin(
    stub: identity_pb2_grpc.IdentityServiceStub,
) -> None:
    admin = as_admin(stub)
    created = stub.CreateUser(
        identity_pb2.CreateUserRequest(
            email="Rep@Example.com", password="staff password 1", roles=["sales_rep"]
        ),
        metadata=admin,
        timeout=5,
    )
    with pytest.raises(grpc.RpcError) as taken:
        stub.CreateUser(
            identity_pb2.CreateUserRequest(
                email="rep@example.com", password="staff password 1", roles=["sales_rep"]
            ),
            metadata=admin,
            timeout=5,
        )
    listed = stub.ListUsers(identity_pb2.ListUsersRequest(), metadata=admin, timeout=5)

    assert (created.email, created.kind) == ("rep@example.com", identity_pb2.ACCOUNT_KIND_STAFF)
    assert taken.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert [user.email for user in listed.users] == [ADMIN_EMAIL, "rep@example.com"]


def test_registration_creates_the_customer_and_its_login(
    stub: identity_pb2_grpc.IdentityServiceStub, running_identity: RunningIdentity
) -> None:
    customer = customer_pb2.Customer(
        name="Li Na", email="li.na@example.com", phone="+8613800138000"
    )
    registered = stub.Register(
        identity_pb2.RegisterRequest(password="a long password", customer=customer), timeout=5
    )
    issued = stub.IssueToken(
        identity_pb2.IssueTokenRequest(
            grant_type="password", username="li.na@example.com", password="a long password"
        ),
        timeout=5,
    )

    assert registered.account.kind == identity_pb2.ACCOUNT_KIND_CUSTOMER
    assert registered.account.customer_id == registered.customer.id
    assert [profile.email for profile, _key, _token in running_identity.directory.created] == [
        "li.na@example.com"
    ]
    claims = jwt.decode(issued.access_token, options={"verify_signature": False})
    assert claims["customer_id"] == registered.customer.id


def test_a_rotation_reaches_a_service_in_the_background(
    stub: identity_pb2_grpc.IdentityServiceStub, running_identity: RunningIdentity
) -> None:
    keys = RemoteKeys.from_identity(running_identity.target, max_age=0.2).start()
    try:
        wait_until(lambda: keys.document() is not None, timeout=10, what="the first fetch")
        rotated = running_identity.service.rotate_keys()

        # no request asks for the new key: the background refresh alone brings it
        wait_until(
            lambda: rotated.kid in {key["kid"] for key in keys.document()["keys"]},  # type: ignore[index]
            timeout=10,
            what="the rotated key",
        )
        token = admin_token(stub)

        assert jwt.get_unverified_header(token)["kid"] == rotated.kid
        assert TokenVerifier(keys).verify(token).roles == {"admin"}
    finally:
        keys.stop()


def test_until_the_keys_are_fetched_a_call_is_refused_at_once() -> None:
    keys = RemoteKeys.from_identity(f"127.0.0.1:{free_port()}", timeout=0.5).start()
    try:
        with pytest.raises(KeysUnavailable):
            keys.key_for("any")
        with pytest.raises((KeysUnavailable, Unauthenticated)):
            TokenVerifier(keys).verify("e30.e30.e30")
    finally:
        keys.stop()


def test_staff_accounts_changes_are_events_and_customers_logins_are_not(
    stub: identity_pb2_grpc.IdentityServiceStub, settings: IdentitySettings
) -> None:
    admin = as_admin(stub)
    rep = stub.CreateUser(
        identity_pb2.CreateUserRequest(
            email="rep@example.com", password="staff password 1", roles=["sales_rep"]
        ),
        metadata=admin,
        timeout=5,
    )
    for request in (
        identity_pb2.UpdateUserRequest(id=rep.id, disabled=True),
        identity_pb2.UpdateUserRequest(id=rep.id, set_name=True, name="Wang Fang"),  # no event
        identity_pb2.UpdateUserRequest(id=rep.id, set_roles=True, roles=["sales_rep", "manager"]),
    ):
        stub.UpdateUser(request, metadata=admin, timeout=5)
    stub.Register(
        identity_pb2.RegisterRequest(
            password="a long password",
            customer=customer_pb2.Customer(
                name="Li Na", email="li.na@example.com", phone="+8613800138000"
            ),
        ),
        timeout=5,
    )

    engine = build_engine(settings.database_url)
    try:
        changes = [
            event.message
            for event in outbox_events(engine)
            if isinstance(event.message, events_pb2.AccountChanged)
        ]
    finally:
        engine.dispose()
    of_rep = [(c.version, c.disabled, list(c.roles)) for c in changes if c.user_id == rep.id]
    assert of_rep == [
        (1, False, ["sales_rep"]),
        (2, True, ["sales_rep"]),
        (3, True, ["manager", "sales_rep"]),
    ]
    assert {change.kind for change in changes} == {identity_pb2.ACCOUNT_KIND_STAFF}
    assert all(change.actor.subject for change in changes if change.user_id == rep.id)
