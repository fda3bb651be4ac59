"""The identity handlers over in-memory storage: grants, rotation, keys, accounts,
registration."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import argon2
import jwt
import pytest
from crm_identity.adapters.keys import Ed25519Vault
from crm_identity.adapters.passwords import Argon2Passwords
from crm_identity.domain.model import AccountKind, Role, Scope
from crm_identity.service_layer.handlers import (
    IdentityService,
    OAuthError,
    TokenSettings,
    hash_token,
)
from crm_identity.service_layer.ports import ProfileFields
from crm_platform.errors import (
    AlreadyExists,
    FailedPrecondition,
    PermissionDenied,
    Unauthenticated,
    ValidationFailed,
)

from tests.identity.unit.fakes import FakeDirectory, FakeUnitOfWork, Store, fast_passwords

ADMIN_EMAIL = "Admin@Example.com"
PASSWORD = "correct horse battery"
START = datetime.now(UTC).replace(microsecond=0)  # tokens are checked against real time


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@pytest.fixture
def store() -> Store:
    return Store()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make_service(store: Store, clock: Clock) -> Callable[..., IdentityService]:
    def make(passwords: Argon2Passwords | None = None) -> IdentityService:
        service = IdentityService(
            lambda: FakeUnitOfWork(store),
            passwords or fast_passwords(),
            Ed25519Vault(None),
            TokenSettings(),
            clock=clock,
        )
        service.ensure_signing_key()
        return service

    return make


@pytest.fixture
def service(make_service: Callable[..., IdentityService]) -> IdentityService:
    service = make_service()
    service.bootstrap_admin(ADMIN_EMAIL, PASSWORD)
    return service


def claims_of(service: IdentityService, token: str) -> dict[str, Any]:
    # the tokens carry real times; the fake clock is in the past, so expiry is not checked here
    key = jwt.PyJWKSet.from_dict(service.jwks())[jwt.get_unverified_header(token)["kid"]]
    return jwt.decode(
        token,
        key.key,
        algorithms=["EdDSA"],
        audience="guanxi-api",
        issuer="guanxi",
        options={"verify_exp": False, "verify_iat": False},
    )


def test_password_hashes_are_argon2id_and_redone_when_parameters_change() -> None:
    weak = Argon2Passwords(argon2.PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    stronger = Argon2Passwords(argon2.PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1))
    stored = weak.hash(PASSWORD)

    assert stored.startswith("$argon2id$")
    assert weak.verify(stored, PASSWORD)
    assert not weak.verify(stored, "wrong password!")
    assert not weak.verify("not a hash", PASSWORD)
    assert not weak.needs_rehash(stored)
    assert stronger.needs_rehash(stored)


def test_login_rehashes_a_password_hashed_with_old_parameters(
    make_service: Callable[..., IdentityService], store: Store
) -> None:
    make_service().bootstrap_admin(ADMIN_EMAIL, PASSWORD)
    old_hash = next(iter(store.users.values())).password_hash
    stronger = Argon2Passwords(argon2.PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1))

    make_service(stronger).password_grant(ADMIN_EMAIL, PASSWORD, None)

    new_hash = next(iter(store.users.values())).password_hash
    assert new_hash != old_hash
    assert not stronger.needs_rehash(new_hash)
    assert stronger.verify(new_hash, PASSWORD)


def test_bootstrap_admin_is_made_once_and_never_overwritten(
    service: IdentityService, store: Store
) -> None:
    (admin,) = store.users.values()
    assert admin.email == "admin@example.com"
    assert admin.roles == {Role.ADMIN}

    assert service.bootstrap_admin(ADMIN_EMAIL, "another password 123") is None
    assert service.bootstrap_admin("second@example.com", "another password 123") is None

    assert len(store.users) == 1
    assert service.password_grant(ADMIN_EMAIL, PASSWORD, None).access_token


def test_bootstrap_admin_checks_the_password_policy(
    make_service: Callable[..., IdentityService],
) -> None:
    with pytest.raises(ValidationFailed):
        make_service().bootstrap_admin(ADMIN_EMAIL, "short")


def test_password_grant_issues_a_token_per_the_contract(service: IdentityService) -> None:
    issued = service.password_grant("  ADMIN@example.com ", PASSWORD, None)

    claims = claims_of(service, issued.access_token)
    assert claims["iss"] == "guanxi"
    assert claims["aud"] == "guanxi-api"
    assert claims["kind"] == "staff"
    assert claims["roles"] == ["admin"]
    assert set(claims["scope"].split()) == {s.value for s in Scope}
    assert claims["exp"] - claims["iat"] == 900
    assert claims["jti"]
    assert "customer_id" not in claims
    assert issued.expires_in == 900
    assert issued.refresh_token


@pytest.mark.parametrize(
    ("username", "password"),
    [
        (ADMIN_EMAIL, "wrong password"),
        ("nobody@example.com", PASSWORD),
        ("not an email", PASSWORD),
    ],
)
def test_wrong_credentials_are_one_invalid_grant(
    service: IdentityService, username: str, password: str
) -> None:
    with pytest.raises(OAuthError) as raised:
        service.password_grant(username, password, None)
    assert raised.value.error == "invalid_grant"
    assert raised.value.description == "the username or password is wrong"


def test_a_scope_beyond_the_roles_is_invalid_scope(service: IdentityService, store: Store) -> None:
    service.create_user(
        email="rep@example.com",
        password=PASSWORD,
        kind=AccountKind.STAFF,
        roles=frozenset({Role.SALES_REP}),
    )
    narrowed = service.password_grant("rep@example.com", PASSWORD, "customers:read")
    assert narrowed.scope == "customers:read"

    for scope in ("identity:admin", "customers:read bogus"):
        with pytest.raises(OAuthError) as raised:
            service.password_grant("rep@example.com", PASSWORD, scope)
        assert raised.value.error == "invalid_scope"


def test_refresh_rotates_and_reuse_revokes_the_family(service: IdentityService) -> None:
    first = service.password_grant(ADMIN_EMAIL, PASSWORD, "customers:read")
    assert first.refresh_token is not None

    second = service.refresh_grant(first.refresh_token, None)
    assert second.refresh_token not in (None, first.refresh_token)
    assert second.scope == "customers:read"  # never more than first granted
    assert second.refresh_token is not None

    with pytest.raises(OAuthError) as reused:
        service.refresh_grant(first.refresh_token, None)
    assert reused.value.error == "invalid_grant"
    # the thief's use revoked the legitimate holder's token as well
    with pytest.raises(OAuthError):
        service.refresh_grant(second.refresh_token, None)


def test_refresh_cannot_widen_the_scope(service: IdentityService) -> None:
    first = service.password_grant(ADMIN_EMAIL, PASSWORD, "customers:read")
    assert first.refresh_token is not None
    with pytest.raises(OAuthError) as raised:
        service.refresh_grant(first.refresh_token, "customers:write")
    assert raised.value.error == "invalid_scope"


def test_an_expired_refresh_token_is_refused(service: IdentityService, clock: Clock) -> None:
    issued = service.password_grant(ADMIN_EMAIL, PASSWORD, None)
    assert issued.refresh_token is not None
    clock.advance(timedelta(days=31))
    with pytest.raises(OAuthError, match="expired"):
        service.refresh_grant(issued.refresh_token, None)


def test_revoking_a_refresh_token_ends_its_login(service: IdentityService, store: Store) -> None:
    issued = service.password_grant(ADMIN_EMAIL, PASSWORD, None)
    assert issued.refresh_token is not None

    service.revoke(issued.refresh_token)
    service.revoke("not a token at all")  # ignored, as RFC 7009 says

    stored = next(
        t for t in store.refresh_tokens.values() if t.token_hash == hash_token(issued.refresh_token)
    )
    assert stored.revoked_at is not None
    with pytest.raises(OAuthError):
        service.refresh_grant(issued.refresh_token, None)


def test_client_credentials_grant_for_an_active_client_only(service: IdentityService) -> None:
    created = service.create_client("erp", frozenset({Scope.CUSTOMERS_READ}))

    issued = service.client_credentials_grant(created.client.client_id, created.secret, None)
    claims = claims_of(service, issued.access_token)
    assert claims["sub"] == created.client.client_id
    assert claims["kind"] == "service"
    assert claims["roles"] == []
    assert claims["scope"] == "customers:read"
    assert issued.refresh_token is None

    for client_id, secret in (
        (created.client.client_id, "wrong"),
        ("not-a-uuid", created.secret),
        ("0b6c3c1e-4a52-4f3e-9b7e-2f1d8f0c9a11", created.secret),
    ):
        with pytest.raises(OAuthError) as raised:
            service.client_credentials_grant(client_id, secret, None)
        assert (raised.value.error, raised.value.status) == ("invalid_client", 401)

    service.revoke_client(created.client.id)
    with pytest.raises(OAuthError):
        service.client_credentials_grant(created.client.client_id, created.secret, None)


def test_rotation_keeps_the_previous_key_published_until_its_tokens_expire(
    service: IdentityService, clock: Clock
) -> None:
    before = service.password_grant(ADMIN_EMAIL, PASSWORD, None).access_token
    old_kid = jwt.get_unverified_header(before)["kid"]

    new_key = service.rotate_keys()
    after = service.password_grant(ADMIN_EMAIL, PASSWORD, None).access_token

    assert jwt.get_unverified_header(after)["kid"] == new_key.kid != old_kid
    assert {k["kid"] for k in service.jwks()["keys"]} == {old_kid, new_key.kid}
    assert claims_of(service, before)["sub"] == claims_of(service, after)["sub"]

    clock.advance(timedelta(minutes=15) + timedelta(seconds=61))
    assert {k["kid"] for k in service.jwks()["keys"]} == {new_key.kid}


def test_verify_refuses_tokens_not_signed_by_a_published_key(service: IdentityService) -> None:
    issued = service.password_grant(ADMIN_EMAIL, PASSWORD, None).access_token
    elsewhere = Store()
    stranger = IdentityService(
        lambda: FakeUnitOfWork(elsewhere), fast_passwords(), Ed25519Vault(None)
    )
    stranger.ensure_signing_key()
    forged = stranger.service_token(frozenset({Scope.IDENTITY_ADMIN}))

    assert service.verify(issued)["kind"] == "staff"
    for token in (forged, issued[:-4] + "AAAA", "garbage"):
        with pytest.raises(Unauthenticated):
            service.verify(token)


def test_the_last_active_admin_cannot_be_demoted_or_disabled(
    service: IdentityService, store: Store
) -> None:
    (admin,) = store.users.values()
    with pytest.raises(FailedPrecondition):
        service.update_user(admin.id, roles=frozenset({Role.MANAGER}))
    with pytest.raises(FailedPrecondition):
        service.update_user(admin.id, disabled=True)
    with pytest.raises(PermissionDenied):
        service.update_user(admin.id, disabled=True, actor_id=str(admin.id))


def test_disabling_an_account_ends_its_refresh_tokens(service: IdentityService) -> None:
    user = service.create_user(
        email="rep@example.com",
        password=PASSWORD,
        kind=AccountKind.STAFF,
        roles=frozenset({Role.SALES_REP}),
    )
    issued = service.password_grant("rep@example.com", PASSWORD, None)
    assert issued.refresh_token is not None

    service.update_user(user.id, disabled=True)

    with pytest.raises(OAuthError):
        service.password_grant("rep@example.com", PASSWORD, None)
    with pytest.raises(OAuthError):
        service.refresh_grant(issued.refresh_token, None)


def test_partner_accounts_carry_their_partner(service: IdentityService) -> None:
    service.create_user(
        email="p@example.com",
        password=PASSWORD,
        kind=AccountKind.PARTNER,
        roles=frozenset({Role.PARTNER_USER}),
        partner_id="partner-7",
    )
    claims = claims_of(
        service, service.password_grant("p@example.com", PASSWORD, None).access_token
    )
    assert (claims["kind"], claims["roles"], claims["partner_id"]) == (
        "partner",
        ["partner_user"],
        "partner-7",
    )
    with pytest.raises(ValidationFailed):
        service.create_user(
            email="q@example.com",
            password=PASSWORD,
            kind=AccountKind.PARTNER,
            roles=frozenset({Role.ADMIN}),
            partner_id="partner-7",
        )


REGISTRATION = ProfileFields(name="Li Na", email="Li.Na@example.com", phone="+8613800138000")


def test_registration_creates_the_customer_then_a_linked_login(service: IdentityService) -> None:
    directory = FakeDirectory()

    registration = service.register_customer(PASSWORD, REGISTRATION, directory)

    (created, key, token) = directory.created[0]
    assert created.email == "Li.Na@example.com"
    assert key.startswith("portal-registration:")
    portal = claims_of(service, token)
    assert (portal["sub"], portal["kind"]) == ("portal", "service")
    assert set(portal["scope"].split()) == {"customers:read", "customers:write"}
    assert portal["exp"] - portal["iat"] == 60
    assert registration.user.customer_id is not None
    assert str(registration.user.customer_id) == registration.customer.id

    claims = claims_of(
        service, service.password_grant("li.na@example.com", PASSWORD, None).access_token
    )
    assert (claims["kind"], claims["roles"], claims["customer_id"]) == (
        "customer",
        ["customer"],
        registration.customer.id,
    )


def test_registration_refuses_blacklisted_and_duplicate_contacts(
    service: IdentityService,
) -> None:
    with pytest.raises(PermissionDenied):
        service.register_customer(
            PASSWORD, REGISTRATION, FakeDirectory(blacklisted={"+8613800138000"})
        )
    with pytest.raises(AlreadyExists):
        service.register_customer(
            PASSWORD, REGISTRATION, FakeDirectory(existing={"Li.Na@example.com"})
        )
    service.register_customer(PASSWORD, REGISTRATION, FakeDirectory())
    again = FakeDirectory()
    with pytest.raises(AlreadyExists):
        service.register_customer(PASSWORD, REGISTRATION, again)
    assert again.created == []  # the login exists: the customer service is not even asked


def test_at_most_the_configured_number_of_hashes_run_at_once() -> None:
    running, most = 0, 0
    lock = threading.Lock()

    class CountingHasher(argon2.PasswordHasher):
        def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
            nonlocal running, most
            with lock:
                running += 1
                most = max(most, running)
            time.sleep(0.02)
            with lock:
                running -= 1
            return "hashed"

    passwords = Argon2Passwords(CountingHasher(), concurrency=2)
    threads = [threading.Thread(target=passwords.hash, args=("secret",)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert most == 2
