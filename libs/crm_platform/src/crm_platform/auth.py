"""Access tokens and authorization, for every service (docs/decisions/0005-access-tokens.md).

- `TokenVerifier` checks a JWT from the portal: EdDSA (Ed25519) only, a known `kid`, signature,
  `exp`, `iat`, `iss`, `aud`, `sub` and `kind` required, a small leeway for clock skew; the
  answer is a `Principal` that keeps the raw token, which the gRPC client forwards downstream.
- Keys come from a `KeySource`: the portal's JWKS over HTTP (`RemoteKeys`, cached, refetched
  once on an unknown `kid`, at most every `refetch_interval` seconds) or a JWKS file
  (`FileKeys`, for tests and air-gapped setups) or a JWKS document in memory (`StaticKeys`).
- A token verified once is remembered (bounded, most recent first) until it expires, for as
  long as its signing key is still the one published: every request of a session carries the
  same token, and the signature check is the costliest step of a call.
- `grpc_authenticator` reads `authorization: Bearer <jwt>` from the call's metadata.
- `Policy` is a service's one declarative table: method -> who may call it (`Allow`). A method
  missing from the table is denied. Staff are allowed by role, customers and partner users by
  their kind of principal (the service then checks which records they may see), machine
  clients (kind `service`) by OAuth scope.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.request
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import jwt
from crm_proto.crm.common.v1 import common_pb2

from crm_platform import errors
from crm_platform.context import Principal
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
STAFF_ROLES = frozenset(
    {"admin", "manager", "sales_rep", "marketer", "service_agent", "finance", "analyst"}
)
CUSTOMER_ROLE = "customer"
PARTNER_ROLE = "partner_user"
ROLES = STAFF_ROLES | {CUSTOMER_ROLE, PARTNER_ROLE}


class KeysUnavailable(Exception):
    """The signing keys cannot be read (the JWKS endpoint does not answer, the file is gone).

    Not the caller's fault: the chassis answers UNAVAILABLE (retry later), not UNAUTHENTICATED.
    """


# -- key sources ------------------------------------------------------------------------------


class KeySource(Protocol):
    def key_for(self, kid: str) -> Any | None:
        """The public key with this `kid`, or None when there is none (after a refetch)."""


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


class RemoteKeys:
    """Keys from a JWKS URL (the portal's /.well-known/jwks.json).

    Fetched on first use (the portal may start after this service), kept `max_age` seconds,
    fetched again once when a token names an unknown kid (key rotation), at most every
    `refetch_interval` seconds so that tokens with made-up kids cannot flood the portal. When
    a fetch fails the keys already known stay in use; with none known, KeysUnavailable.
    """

    def __init__(
        self,
        url: str,
        *,
        max_age: float = 300.0,
        refetch_interval: float = 30.0,
        retry_after_failure: float = 1.0,
        timeout: float = 3.0,
        fetch: Callable[[str, float], Mapping[str, Any]] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self.max_age = max_age
        self.refetch_interval = refetch_interval
        self.retry_after_failure = retry_after_failure
        self.timeout = timeout
        self._fetch = fetch or _fetch_json
        self._clock = clock
        self._lock = threading.Lock()
        self._keys: dict[str, Any] | None = None
        self._fetched_at = float("-inf")  # last successful fetch
        self._tried_at = float("-inf")  # last attempt
        self._refetched_at = float("-inf")  # last refetch for an unknown kid
        self._last_failed = False
        self.fetches = 0

    def key_for(self, kid: str) -> Any | None:
        with self._lock:
            now = self._clock()
            fetched = False
            due = self._keys is None or now - self._fetched_at >= self.max_age
            waiting = self._last_failed and now - self._tried_at < self.retry_after_failure
            if due and not waiting:
                self._fetch_keys(now)
                fetched = True
            if (
                self._keys is not None
                and kid not in self._keys
                and not fetched
                and now - self._refetched_at >= self.refetch_interval
            ):
                self._refetched_at = now  # unknown kid: the portal may have rotated its keys
                self._fetch_keys(now)
            if self._keys is None:
                raise KeysUnavailable(f"the signing keys at {self.url} are unavailable")
            return self._keys.get(kid)

    def _fetch_keys(self, now: float) -> None:
        self._tried_at = now
        self.fetches += 1
        try:
            keys = parse_jwks(self._fetch(self.url, self.timeout))
        except Exception as exc:
            self._last_failed = True
            log.warning("cannot fetch the signing keys from %s: %s", self.url, str(exc)[:200])
            return
        self._last_failed = False
        self._keys, self._fetched_at = keys, now


def _fetch_json(url: str, timeout: float) -> Mapping[str, Any]:
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"not an http(s) URL: {url}")
    request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - checked
        document = json.loads(response.read(1024 * 1024))
    if not isinstance(document, Mapping):
        raise ValueError("the JWKS is not a JSON object")
    return document


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
        """From ServiceSettings: the JWKS file when one is set, else the JWKS URL."""
        keys: KeySource = (
            FileKeys(settings.jwks_file)
            if settings.jwks_file is not None
            else RemoteKeys(settings.jwks_url)
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


# -- authorization ----------------------------------------------------------------------------


@dataclass(frozen=True, init=False)
class Allow:
    """Who may call one method.

    roles: staff roles allowed; scopes: OAuth scopes that allow a machine client (any one is
    enough); customers / partners: principals of that kind may call it, and the service then
    limits them to their own records (object-level checks).
    """

    roles: frozenset[str]
    scopes: frozenset[str]
    customers: bool
    partners: bool

    def __init__(
        self,
        *,
        roles: Iterable[str] = (),
        scopes: Iterable[str] = (),
        customers: bool = False,
        partners: bool = False,
    ) -> None:
        unknown = sorted(set(roles) - STAFF_ROLES)
        if unknown:
            raise ValueError(f"not staff roles: {', '.join(unknown)}")
        object.__setattr__(self, "roles", frozenset(roles))
        object.__setattr__(self, "scopes", frozenset(scopes))
        object.__setattr__(self, "customers", customers)
        object.__setattr__(self, "partners", partners)

    def permits(self, principal: Principal) -> bool:
        match principal.kind:
            case common_pb2.ACTOR_KIND_STAFF:
                return bool(principal.roles & self.roles)
            case common_pb2.ACTOR_KIND_CUSTOMER:
                return self.customers and principal.customer_id is not None
            case common_pb2.ACTOR_KIND_PARTNER:
                return (
                    self.partners
                    and principal.partner_id is not None
                    and PARTNER_ROLE in principal.roles
                )
            case common_pb2.ACTOR_KIND_SERVICE:
                return bool(principal.scopes & self.scopes)
            case _:
                return False


class Policy:
    """A service's authorization table: method name -> Allow. Missing methods are denied."""

    def __init__(self, rules: Mapping[str, Allow]) -> None:
        self.rules = dict(rules)

    def check(self, method: str, principal: Principal) -> None:
        rule = self.rules.get(method)
        if rule is None:
            raise errors.PermissionDenied(f"{method} is not open to any caller")
        if not rule.permits(principal):
            raise errors.PermissionDenied(f"{principal.subject} may not call {method}")

    def unknown_methods(self, methods: Iterable[str]) -> list[str]:
        """Rules that name no method of the service (a typo would leave a method denied)."""
        return sorted(set(self.rules) - set(methods))
