"""Token verification and key sources, without a server."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jwt
import pytest
from crm_platform import errors
from crm_platform.auth import (
    FileKeys,
    KeysUnavailable,
    RemoteKeys,
    StaticKeys,
    TokenVerifier,
    bearer_token,
    grpc_authenticator,
    parse_jwks,
)
from crm_platform.context import Principal
from crm_platform.settings import ServiceSettings
from crm_platform.testing.processes import wait_until
from crm_platform.testing.tokens import (
    AUDIENCE,
    ISSUER,
    TEST_KEY,
    SigningKey,
    claims_for,
    customer_token,
    hs256_with_public_key,
    issue_token,
    jwks,
    partner_token,
    service_token,
    sign,
    staff_token,
    tampered,
    token_verifier,
    unsigned_token,
    write_jwks,
)
from crm_proto.crm.common.v1 import common_pb2

OTHER_KEY = SigningKey.generate("other-key")


def rejected(token: str, verifier: TokenVerifier | None = None) -> str:
    """The message of the Unauthenticated error verifying `token` raises."""
    with pytest.raises(errors.Unauthenticated) as error:
        (verifier or token_verifier()).verify(token)
    return str(error.value)


def test_a_valid_staff_token_becomes_a_principal_that_keeps_the_token() -> None:
    token = issue_token("user-42", roles=["sales_rep", "marketer"])

    principal = token_verifier().verify(token)

    assert principal == Principal(
        subject="user-42",
        kind=common_pb2.ACTOR_KIND_STAFF,
        roles=frozenset({"sales_rep", "marketer"}),
        scopes=frozenset(),
        token=token,
    )


def test_customer_partner_and_service_tokens_carry_their_ids_and_scopes() -> None:
    verifier = token_verifier()

    customer = verifier.verify(customer_token("c-1"))
    partner = verifier.verify(partner_token("p-1"))
    client = verifier.verify(service_token("customers:read", "analytics:read"))

    assert (customer.kind, customer.customer_id, customer.partner_id) == (
        common_pb2.ACTOR_KIND_CUSTOMER,
        "c-1",
        None,
    )
    assert (partner.kind, partner.partner_id, partner.customer_id) == (
        common_pb2.ACTOR_KIND_PARTNER,
        "p-1",
        None,
    )
    assert client.kind == common_pb2.ACTOR_KIND_SERVICE
    assert client.scopes == {"customers:read", "analytics:read"}


@pytest.mark.parametrize(
    ("token", "message"),
    [
        (unsigned_token(), "must be signed with EdDSA, not 'none'"),
        (hs256_with_public_key(), "must be signed with EdDSA, not 'HS256'"),
        (issue_token(expires_in=-120), "has expired"),
        (issue_token(audience="another-api"), "not meant for this API"),
        (issue_token(issuer="someone-else"), "unknown issuer"),
        (tampered(issue_token(roles=["analyst"]), roles=["admin"]), "signature is not valid"),
        (tampered(customer_token("c-1"), customer_id="c-2"), "signature is not valid"),
        (issue_token(key=OTHER_KEY), "signing key 'other-key' is unknown"),
        (sign(claims_for(), TEST_KEY, kid="made-up"), "signing key 'made-up' is unknown"),
        (sign(claims_for(), OTHER_KEY, kid=TEST_KEY.kid), "signature is not valid"),
        ("not-a-jwt", "malformed"),
        ("a.b.c", "malformed"),
        ("", "empty or too long"),
        ("x" * 10_000, "empty or too long"),
    ],
    ids=[
        "alg-none",
        "hs256-with-public-key",
        "expired",
        "wrong-aud",
        "wrong-iss",
        "tampered-roles",
        "tampered-customer-id",
        "unknown-kid",
        "made-up-kid",
        "wrong-key-for-kid",
        "garbage",
        "garbage-segments",
        "empty",
        "oversized",
    ],
)
def test_forged_and_invalid_tokens_are_unauthenticated(token: str, message: str) -> None:
    assert message in rejected(token)


@pytest.mark.parametrize("claim", ["exp", "iat", "iss", "aud", "sub", "kind"])
def test_a_token_without_a_required_claim_is_unauthenticated(claim: str) -> None:
    claims = claims_for()
    del claims[claim]

    assert claim in rejected(sign(claims))


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"kind": "robot"}, "kind 'robot' is unknown"),
        ({"sub": "  "}, "sub claim is empty"),
        ({"roles": "admin"}, "roles claim must be a list"),
        ({"scope": ["customers:read"]}, "scope claim must be a string"),
        ({"kind": "customer", "roles": ["customer"]}, "needs a customer_id claim"),
        ({"kind": "partner", "roles": ["partner_user"]}, "needs a partner_id claim"),
        ({"nbf": int(time.time()) + 3600}, "not yet valid"),
        ({"iat": int(time.time()) + 3600}, "not yet valid"),
    ],
)
def test_malformed_claims_are_unauthenticated(extra: dict[str, Any], message: str) -> None:
    assert message in rejected(sign(claims_for(extra=extra)))


def test_a_token_a_little_past_its_expiry_is_accepted_within_the_leeway() -> None:
    token = issue_token(issued_at=time.time() - 310, expires_in=300)  # expired 10 s ago

    assert token_verifier().verify(token).subject == "test-admin"
    assert "expired" in rejected(token, TokenVerifier(StaticKeys(jwks()), leeway=0))


class CountingKeys:
    """A key source over a JWKS that counts look-ups and can retire keys."""

    def __init__(self, *keys: SigningKey) -> None:
        self.keys = StaticKeys(jwks(*keys))
        self.retired: set[str] = set()

    def key_for(self, kid: str) -> Any | None:
        return None if kid in self.retired else self.keys.key_for(kid)


def counting_decodes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every signature check jwt.decode makes (and still make it)."""
    calls: list[str] = []
    decode = jwt.decode

    def counted(token: str, *args: Any, **kwargs: Any) -> Any:
        calls.append(token)
        return decode(token, *args, **kwargs)

    monkeypatch.setattr(jwt, "decode", counted)
    return calls


def test_a_verified_token_is_remembered_and_not_checked_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    verifier = token_verifier()
    token = issue_token("user-7", roles=["sales_rep"])
    decodes = counting_decodes(monkeypatch)

    first = verifier.verify(token)
    again = verifier.verify(token)

    assert again == first
    assert again.subject == "user-7"
    assert decodes == [token]  # one signature check for both
    forged = tampered(token, sub="someone-else")
    assert "signature" in rejected(forged, verifier)  # another token is checked in full


def test_a_remembered_token_is_checked_again_once_it_expires(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = [time.time()]
    verifier = TokenVerifier(
        StaticKeys(jwks()), issuer=ISSUER, audience=AUDIENCE, leeway=0, clock=lambda: now[0]
    )
    token = issue_token(expires_in=60)
    decodes = counting_decodes(monkeypatch)
    verifier.verify(token)
    verifier.verify(token)
    assert len(decodes) == 1

    now[0] += 61  # past exp: not taken from memory, the full check decides again
    verifier.verify(token)

    assert len(decodes) == 2


def test_a_remembered_token_stops_working_when_its_key_is_retired() -> None:
    keys = CountingKeys(TEST_KEY, OTHER_KEY)
    verifier = TokenVerifier(keys, issuer=ISSUER, audience=AUDIENCE)
    token = issue_token(key=OTHER_KEY)
    assert verifier.verify(token).subject == "test-admin"

    keys.retired.add(OTHER_KEY.kid)

    with pytest.raises(errors.Unauthenticated, match="unknown"):
        verifier.verify(token)


def test_the_verifier_remembers_a_bounded_number_of_tokens(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    verifier = TokenVerifier(StaticKeys(jwks()), issuer=ISSUER, audience=AUDIENCE, remember=3)
    tokens = [issue_token(f"user-{n}") for n in range(5)]
    subjects = [verifier.verify(token).subject for token in tokens]
    decodes = counting_decodes(monkeypatch)

    verifier.verify(tokens[4])  # among the 3 most recent: remembered
    verifier.verify(tokens[0])  # the oldest: forgotten, checked again

    assert subjects == [f"user-{n}" for n in range(5)]
    assert decodes == [tokens[0]]


def test_the_header_cannot_choose_a_key_of_another_type() -> None:
    """A JWKS entry that is not an Ed25519 public key is never used to verify."""
    document = jwks()
    document["keys"].append({"kty": "oct", "k": "c2VjcmV0", "kid": "shared", "alg": "HS256"})
    private = dict(TEST_KEY.public_jwk(), kid="with-private-part", d="AAAA")
    document["keys"].append(private)

    assert set(parse_jwks(document)) == {TEST_KEY.kid}


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (None, "an access token is required"),
        ("", "an access token is required"),
        ("Basic dXNlcjpwYXNz", "must be 'Bearer <token>'"),
        ("Bearer", "must be 'Bearer <token>'"),
        ("Bearer a b", "must be 'Bearer <token>'"),
    ],
)
def test_a_missing_or_malformed_authorization_value_is_unauthenticated(
    header: str | None, message: str
) -> None:
    with pytest.raises(errors.Unauthenticated, match=message):
        bearer_token(header)


def test_the_grpc_authenticator_reads_the_bearer_token_of_the_metadata() -> None:
    token = staff_token("analyst")
    authenticate = grpc_authenticator(token_verifier())

    assert authenticate({"authorization": f"bearer {token}"}).roles == {"analyst"}
    with pytest.raises(errors.Unauthenticated):
        authenticate({})


# -- key sources --------------------------------------------------------------------------------


class FakeJwksEndpoint:
    def __init__(self, *keys: SigningKey) -> None:
        self.document: Mapping[str, Any] = jwks(*keys)
        self.calls = 0
        self.down = False

    def __call__(self, timeout: float) -> Mapping[str, Any]:
        self.calls += 1
        if self.down:
            raise OSError("connection refused")
        return self.document


def test_remote_keys_are_fetched_by_the_refresh_never_by_a_request() -> None:
    endpoint = FakeJwksEndpoint(TEST_KEY)
    keys = RemoteKeys(endpoint)
    verifier = TokenVerifier(keys)
    assert keys.refresh()

    for _ in range(5):
        verifier.verify(issue_token())

    assert endpoint.calls == 1
    assert keys.document() == endpoint.document  # what the gateway publishes


def test_an_unknown_kid_is_refused_at_once_and_seen_after_the_next_refresh() -> None:
    endpoint = FakeJwksEndpoint(TEST_KEY)
    keys = RemoteKeys(endpoint)
    verifier = TokenVerifier(keys)
    keys.refresh()
    rejected(issue_token(key=OTHER_KEY), verifier)
    assert endpoint.calls == 1  # the request did not fetch

    endpoint.document = jwks(TEST_KEY, OTHER_KEY)  # identity rotates its keys
    keys.refresh()

    assert verifier.verify(issue_token(key=OTHER_KEY)).subject == "test-admin"


def test_an_unknown_kid_wakes_the_background_refresh_at_most_every_interval() -> None:
    endpoint = FakeJwksEndpoint(TEST_KEY)
    keys = RemoteKeys(endpoint, max_age=3600, refetch_interval=0.2).start()
    try:
        wait_until(lambda: endpoint.calls == 1, timeout=5, what="the first fetch")
        endpoint.document = jwks(TEST_KEY, OTHER_KEY)
        for _ in range(20):  # a flood of tokens with a new kid: one refetch
            keys.key_for("made-up")
        wait_until(lambda: keys.document() == endpoint.document, timeout=5, what="a refetch")

        assert endpoint.calls == 2
    finally:
        keys.stop()


def test_the_first_token_after_a_rotation_waits_for_the_refetch_and_is_accepted() -> None:
    endpoint = FakeJwksEndpoint(TEST_KEY)
    keys = RemoteKeys(endpoint, max_age=3600, refetch_interval=0.0).start()
    verifier = TokenVerifier(keys)
    try:
        assert keys.wait(5)
        endpoint.document = jwks(TEST_KEY, OTHER_KEY)  # identity rotates its keys

        assert verifier.verify(issue_token(key=OTHER_KEY)).subject == "test-admin"
        assert endpoint.calls == 2
    finally:
        keys.stop()


def test_an_unknown_kid_is_refused_at_once_while_a_refetch_is_not_due() -> None:
    endpoint = FakeJwksEndpoint(TEST_KEY)
    keys = RemoteKeys(endpoint, max_age=3600, refetch_interval=3600, rotation_wait=30).start()
    try:
        assert keys.wait(5)
        started = time.monotonic()

        assert keys.key_for("made-up") is None
        assert time.monotonic() - started < 1.0  # did not wait for a refetch
        assert endpoint.calls == 1
    finally:
        keys.stop()


def test_keys_already_known_stay_in_use_while_identity_is_down() -> None:
    endpoint = FakeJwksEndpoint(TEST_KEY)
    keys = RemoteKeys(endpoint)
    verifier = TokenVerifier(keys)
    keys.refresh()
    endpoint.down = True

    assert not keys.refresh()
    assert verifier.verify(issue_token()).subject == "test-admin"


def test_without_any_keys_the_verifier_says_keys_are_unavailable() -> None:
    endpoint = FakeJwksEndpoint(TEST_KEY)
    endpoint.down = True
    keys = RemoteKeys(endpoint)
    keys.refresh()

    with pytest.raises(KeysUnavailable):
        TokenVerifier(keys).verify(issue_token())


def test_remote_keys_are_unready_until_the_first_fetch_and_can_be_waited_for() -> None:
    endpoint = FakeJwksEndpoint(TEST_KEY)
    endpoint.down = True
    keys = RemoteKeys(endpoint, retry_after_failure=0.05).start()
    try:
        assert not keys.wait(0.2)
        with pytest.raises(KeysUnavailable):
            keys.check()

        endpoint.down = False

        assert keys.wait(5)
        keys.check()
    finally:
        keys.stop()


def test_file_keys_are_read_again_when_a_token_names_a_new_kid(tmp_path: Path) -> None:
    path = write_jwks(tmp_path / "jwks.json", TEST_KEY)
    verifier = TokenVerifier(FileKeys(path, refetch_interval=0))
    rejected(issue_token(key=OTHER_KEY), verifier)

    write_jwks(path, TEST_KEY, OTHER_KEY)

    assert verifier.verify(issue_token(key=OTHER_KEY)).subject == "test-admin"


def test_a_missing_jwks_file_fails_at_start(tmp_path: Path) -> None:
    with pytest.raises(KeysUnavailable, match="cannot read the JWKS file"):
        FileKeys(tmp_path / "missing.json")


def test_the_verifier_from_settings_uses_the_file_else_identity(tmp_path: Path) -> None:
    path = write_jwks(tmp_path / "jwks.json")
    env = {"CRM_JWKS_FILE": str(path), "CRM_JWT_AUDIENCE": "crm-test"}
    with_file = TokenVerifier.from_settings(ServiceSettings.from_env("customer", env))
    with_identity = TokenVerifier.from_settings(
        ServiceSettings.from_env("customer", {"CRM_IDENTITY_GRPC_TARGET": "127.0.0.1:1"})
    )

    assert isinstance(with_file.keys, FileKeys)
    assert with_file.verify(issue_token(audience="crm-test")).subject == "test-admin"
    assert "not meant for this API" in rejected(issue_token(), with_file)
    assert isinstance(with_identity.keys, RemoteKeys)
    with_identity.keys.stop()
    assert with_identity.keys.source == "identity at 127.0.0.1:1"
    assert (with_identity.issuer, with_identity.audience) == ("guanxi", "guanxi-api")


def test_a_jwks_file_holds_only_public_keys(tmp_path: Path) -> None:
    document = json.loads(write_jwks(tmp_path / "jwks.json").read_text())

    assert [sorted(key) for key in document["keys"]] == [["alg", "crv", "kid", "kty", "use", "x"]]
    assert jwt.PyJWK(document["keys"][0]).algorithm_name == "EdDSA"


def test_after_a_failed_fetch_the_keys_are_asked_for_again_a_moment_later() -> None:
    endpoint = FakeJwksEndpoint(TEST_KEY)
    endpoint.down = True
    keys = RemoteKeys(endpoint, retry_after_failure=0.1).start()
    try:
        wait_until(lambda: endpoint.calls >= 2, timeout=5, what="a second try")
        endpoint.down = False

        wait_until(lambda: keys.document() is not None, timeout=5, what="a fetch")
        assert TokenVerifier(keys).verify(issue_token()).subject == "test-admin"
    finally:
        keys.stop()
