"""Access tokens, for every service (docs/decisions/0005-access-tokens.md).

- `TokenVerifier` checks a JWT from identity: EdDSA (Ed25519) only, a known `kid`, signature,
  `exp`, `iat`, `iss`, `aud`, `sub` and `kind` required, a small leeway for clock skew; the
  answer is a `Principal` that keeps the raw token, which the gRPC client forwards downstream.
- Keys come from a `KeySource`: identity's public keys over gRPC (`RemoteKeys`, fetched at
  start and refreshed by a background thread, never on a request's path) or a JWKS file
  (`FileKeys`, for tests and air-gapped setups) or a JWKS document in memory (`StaticKeys`).
- A token verified once is remembered (bounded, most recent first) until it expires, for as
  long as its signing key is still the one published: every request of a session carries the
  same token, and the signature check is the costliest step of a call.
- `grpc_authenticator` reads `authorization: Bearer <jwt>` from the call's metadata.
- Authorization (who may call which method, the catalog of roles and scopes) is
  `crm_platform.access`; `Allow` and `Policy` are importable from here too.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import jwt
from crm_proto.crm.common.v1 import common_pb2
from crm_proto.crm.identity.v1 import identity_pb2, identity_pb2_grpc

from crm_platform import errors
from crm_platform.access import Allow as Allow  # authorization lives in crm_platform.access
from crm_platform.access import Policy as Policy
from crm_platform.context import Principal
from crm_platform.grpc_client import open_channel
from crm_platform.settings import DEFAULT_JWT_AUDIENCE, DEFAULT_JWT_ISSUER, ServiceSettings

log = logging.getLogger(__name__)

ALGORITHM = "EdDSA"  # the only algorithm accepted; the header cannot choose another
DEFAULT_LEEWAY_SECONDS = 30.0
MAX_TOKEN_LENGTH = 8192
VERIFIED_TOKENS_KEPT = 10_000  # about 2 KB each
REQUIRED_CLAIMS = ("exp", "iat", "iss", "aud", "sub", "kind")

# The `kind` claim -> the actor kind recorded on changes
KINDS: dict[str, common_pb2.ActorKind.ValueType] = {
    "staff": common_pb2.ACTOR_KIND_STAFF,
    "customer": common_pb2.ACTOR_KIND_CUSTOMER,
    "partner": common_pb2.ACTOR_KIND_PARTNER,
    "service": common_pb2.ACTOR_KIND_SERVICE,
}


class KeysUnavailable(Exception):
    """The signing keys cannot be read (the JWKS endpoint does not answer, the file is gone).

    Not the caller's fault: the chassis answers UNAVAILABLE (retry later), not UNAUTHENTICATED.
    """


# -- key sources ------------------------------------------------------------------------------


class KeySource(Protocol):
    def key_for(self, kid: str) -> Any | None:
        """The public key with this `kid`, or None when there is none (after a refetch)."""

    def check(self) -> None:
        """Raise KeysUnavailable while no key is known (a readiness check)."""


def parse_jwks(document: Mapping[str, Any]) -> dict[str, Any]:
    """kid -> public key, for the Ed25519 signing keys of a JWKS; other keys are skipped."""
    keys = document.get("keys")
    if not isinstance(keys, list):
        raise ValueError("a JWKS needs a list of keys")
    found: dict[str, Any] = {}
    for entry in keys:
        if not isinstance(entry, Mapping):
            continue
        kid = entry.get("kid")
        if not isinstance(kid, str) or not kid:
            continue
        if entry.get("kty") != "OKP" or entry.get("crv") != "Ed25519" or "d" in entry:
            continue  # only Ed25519 public keys; a private key is never accepted as one
        if entry.get("use", "sig") != "sig" or entry.get("alg", ALGORITHM) != ALGORITHM:
            continue
        try:
            found[kid] = jwt.PyJWK(dict(entry), algorithm=ALGORITHM).key
        except jwt.PyJWKError as exc:
            log.warning("skipping JWKS key %s: %s", kid, exc)
    return found


class StaticKeys:
    """Keys from a JWKS document given once."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self._keys = parse_jwks(document)

    def key_for(self, kid: str) -> Any | None:
        return self._keys.get(kid)

    def check(self) -> None:
        """Given at start: always known."""


class FileKeys:
    """Keys from a JWKS file, read at start (a missing or broken file fails fast) and read
    again, at most every `refetch_interval` seconds, when a token names an unknown kid."""

    def __init__(self, path: Path | str, *, refetch_interval: float = 5.0) -> None:
        self.path = Path(path)
        self.refetch_interval = refetch_interval
        self._lock = threading.Lock()
        self._keys = self._read()
        self._read_at = time.monotonic()

    def _read(self) -> dict[str, Any]:
        try:
            return parse_jwks(json.loads(self.path.read_text()))
        except (OSError, ValueError) as exc:
            raise KeysUnavailable(f"cannot read the JWKS file {self.path}: {exc}") from None

    def check(self) -> None:
        """Read at start (or the service did not start): always known."""

    def key_for(self, kid: str) -> Any | None:
        key = self._keys.get(kid)
        if key is not None:
            return key
        with self._lock:
            if time.monotonic() - self._read_at >= self.refetch_interval:
                self._read_at = time.monotonic()
                try:
                    self._keys = self._read()
                except KeysUnavailable as exc:
                    log.warning("%s; keeping the keys read before", exc)
            return self._keys.get(kid)


JwksFetch = Callable[[float], Mapping[str, Any]]  # timeout in seconds -> a JWKS document


class RemoteKeys:
    """Keys from identity (its GetPublicKeys), fetched by a background thread and never on a
    request's path: at `start`, every `max_age` seconds, soon after a token names an unknown
    kid (key rotation; at most every `refetch_interval` seconds, so that tokens with made-up
    kids cannot flood identity), and every `retry_after_failure` seconds while fetches fail.

    Until the first fetch succeeds `key_for` raises KeysUnavailable at once (the chassis
    answers UNAVAILABLE). An unknown kid wakes the thread; when a refetch is due, the call
    waits for it (at most `rotation_wait` seconds), so the first token signed after a key
    rotation is accepted; otherwise it answers None at once (the token is refused). When a
    fetch fails the keys already known stay in use.
    """

    def __init__(
        self,
        fetch: JwksFetch,
        *,
        source: str = "identity",
        max_age: float = 300.0,
        refetch_interval: float = 5.0,
        retry_after_failure: float = 1.0,
        timeout: float = 3.0,
        rotation_wait: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.source = source
        self.max_age = max_age
        self.refetch_interval = refetch_interval
        self.retry_after_failure = retry_after_failure
        self.timeout = timeout
        self.rotation_wait = rotation_wait
        self._fetch = fetch
        self._clock = clock
        self._keys: dict[str, Any] | None = None
        self._document: dict[str, Any] | None = None
        self._tried_at = float("-inf")
        self._fetched = threading.Event()  # set by the first successful fetch
        self._attempts = 0  # fetches finished, under the condition's lock
        self._attempted = threading.Condition()
        self._wanted = threading.Event()  # a token named an unknown kid
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self.fetches = 0

    @classmethod
    def from_identity(cls, target: str, **options: Any) -> RemoteKeys:
        """Keys from the identity service at `target` (host:port)."""
        stub = identity_pb2_grpc.IdentityServiceStub(open_channel(target))

        def fetch(timeout: float) -> Mapping[str, Any]:
            answer = stub.GetPublicKeys(identity_pb2.GetPublicKeysRequest(), timeout=timeout)
            fields = ("kty", "crv", "x", "kid", "alg", "use")
            return {"keys": [{name: getattr(key, name) for name in fields} for key in answer.keys]}

        return cls(fetch, source=f"identity at {target}", **options)

    def start(self) -> RemoteKeys:
        """Fetch in the background from now on (once; later calls do nothing)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="signing-keys", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        self._wanted.set()

    def check(self) -> None:
        if self._keys is None:
            raise KeysUnavailable(f"the signing keys from {self.source} are not fetched yet")

    def wait(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for the first fetch; whether the keys are known."""
        return self._fetched.wait(timeout)

    def key_for(self, kid: str) -> Any | None:
        keys = self._keys  # replaced whole by the thread, never changed in place
        if keys is None:
            raise KeysUnavailable(f"the signing keys from {self.source} are not fetched yet")
        key = keys.get(kid)
        if key is None:
            due = self._clock() - self._tried_at >= self.refetch_interval
            with self._attempted:
                before = self._attempts
            self._wanted.set()
            if due and self._thread is not None:
                with self._attempted:
                    self._attempted.wait_for(
                        lambda: self._attempts > before, timeout=self.rotation_wait
                    )
                key = (self._keys or {}).get(kid)
        return key

    def document(self) -> dict[str, Any] | None:
        """The JWKS last fetched (None before the first success)."""
        return self._document

    def refresh(self) -> bool:
        """Fetch the keys now; False (and the keys known before kept) when it fails."""
        self._tried_at = self._clock()
        self.fetches += 1
        try:
            fetched = self._fetch_now()
        finally:
            with self._attempted:
                self._attempts += 1
                self._attempted.notify_all()
        return fetched

    def _fetch_now(self) -> bool:
        try:
            document = dict(self._fetch(self.timeout))
            keys = parse_jwks(document)
        except Exception as exc:
            log.warning("cannot fetch the signing keys from %s: %s", self.source, str(exc)[:200])
            return False
        self._keys, self._document = keys, document
        self._fetched.set()
        return True

    def _run(self) -> None:
        while not self._stopped.is_set():
            fetched = self.refresh()
            if self._wanted.wait(self.max_age if fetched else self.retry_after_failure):
                self._wanted.clear()
                # an unknown kid: fetch again soon, but not sooner than refetch_interval
                self._stopped.wait(max(0.0, self._tried_at + self.refetch_interval - self._clock()))


# -- verification -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Verified:
    principal: Principal
    kid: str
    key: Any  # the key that checked the signature
    expires_at: float  # exp + leeway, epoch seconds


class TokenVerifier:
    def __init__(
        self,
        keys: KeySource,
        *,
        issuer: str = DEFAULT_JWT_ISSUER,
        audience: str = DEFAULT_JWT_AUDIENCE,
        leeway: float = DEFAULT_LEEWAY_SECONDS,
        remember: int = VERIFIED_TOKENS_KEPT,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway
        self.remember = remember
        self._clock = clock
        self._verified: OrderedDict[str, _Verified] = OrderedDict()
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: ServiceSettings) -> TokenVerifier:
        """From ServiceSettings: the JWKS file when one is set, else identity's keys, fetched
        from now on in the background."""
        keys: KeySource = (
            FileKeys(settings.jwks_file)
            if settings.jwks_file is not None
            else RemoteKeys.from_identity(settings.grpc_targets["identity"]).start()
        )
        return cls(keys, issuer=settings.jwt_issuer, audience=settings.jwt_audience)

    def verify(self, token: str) -> Principal:
        """The principal the token names; errors.Unauthenticated when it is not valid."""
        with self._lock:
            known = self._verified.get(token)
            if known is not None:
                self._verified.move_to_end(token)
        if known is not None:
            # Still valid while unexpired and signed by a key that is still published.
            if self._clock() < known.expires_at and self.keys.key_for(known.kid) is known.key:
                return known.principal
            with self._lock:
                self._verified.pop(token, None)
        verified = self._check(token)
        with self._lock:
            self._verified[token] = verified
            while len(self._verified) > self.remember:
                self._verified.popitem(last=False)
        return verified.principal

    def _check(self, token: str) -> _Verified:
        if not token or len(token) > MAX_TOKEN_LENGTH:
            raise errors.Unauthenticated("the access token is empty or too long")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise errors.Unauthenticated("the access token is malformed") from None
        if header.get("alg") != ALGORITHM:
            raise errors.Unauthenticated(
                f"the access token must be signed with {ALGORITHM}, not {header.get('alg')!r}"
            )
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise errors.Unauthenticated("the access token names no signing key (kid)")
        key = self.keys.key_for(kid)
        if key is None:
            raise errors.Unauthenticated(f"the access token's signing key {kid!r} is unknown")
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": list(REQUIRED_CLAIMS), "strict_aud": False},
            )
        except jwt.ExpiredSignatureError:
            raise errors.Unauthenticated("the access token has expired") from None
        except jwt.InvalidAudienceError:
            raise errors.Unauthenticated("the access token is not meant for this API") from None
        except jwt.InvalidIssuerError:
            raise errors.Unauthenticated("the access token has an unknown issuer") from None
        except jwt.InvalidSignatureError:
            raise errors.Unauthenticated("the access token's signature is not valid") from None
        except jwt.MissingRequiredClaimError as exc:
            raise errors.Unauthenticated(f"the access token lacks the {exc.claim} claim") from None
        except jwt.PyJWTError as exc:
            raise errors.Unauthenticated(f"the access token is not valid: {exc}") from None
        principal = principal_from_claims(claims, token)
        return _Verified(principal, kid, key, float(claims["exp"]) + self.leeway)


def principal_from_claims(claims: Mapping[str, Any], token: str | None = None) -> Principal:
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject.strip():
        raise errors.Unauthenticated("the access token's sub claim is empty")
    kind_name = claims.get("kind")
    if kind_name not in KINDS:
        raise errors.Unauthenticated(f"the access token's kind {kind_name!r} is unknown")
    roles = claims.get("roles", [])
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise errors.Unauthenticated("the access token's roles claim must be a list of strings")
    scope = claims.get("scope", "")
    if not isinstance(scope, str):
        raise errors.Unauthenticated("the access token's scope claim must be a string")
    customer_id = _optional_text(claims, "customer_id")
    partner_id = _optional_text(claims, "partner_id")
    if kind_name == "customer" and customer_id is None:
        raise errors.Unauthenticated("a customer's access token needs a customer_id claim")
    if kind_name == "partner" and partner_id is None:
        raise errors.Unauthenticated("a partner user's access token needs a partner_id claim")
    return Principal(
        subject=subject,
        kind=KINDS[kind_name],
        roles=frozenset(roles),
        scopes=frozenset(scope.split()),
        customer_id=customer_id if kind_name == "customer" else None,
        partner_id=partner_id if kind_name == "partner" else None,
        token=token,
    )


def _optional_text(claims: Mapping[str, Any], name: str) -> str | None:
    value = claims.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise errors.Unauthenticated(f"the access token's {name} claim must be a string")
    return value


def bearer_token(authorization: str | None) -> str:
    """The token of an `Authorization: Bearer <token>` value; errors.Unauthenticated if none."""
    if not authorization:
        raise errors.Unauthenticated("an access token is required: Authorization: Bearer <token>")
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip() or " " in token.strip():
        raise errors.Unauthenticated("the Authorization header must be 'Bearer <token>'")
    return token.strip()


def grpc_authenticator(verifier: TokenVerifier) -> Callable[[Mapping[str, str]], Principal]:
    """The chassis' Authenticator: the `authorization` metadata of a call -> its principal."""

    def authenticate(metadata: Mapping[str, str]) -> Principal:
        return verifier.verify(bearer_token(metadata.get("authorization")))

    return authenticate
