"""Access tokens for tests, without the portal: a test signing key, valid tokens, forged ones,
a JWKS file for services started as processes, and channels that send a token.

    path = write_jwks(tmp_path / "jwks.json")       # CRM_JWKS_FILE for a service process
    verifier = token_verifier()                       # for a GrpcServer in the test process
    token = issue_token("user-1", roles=["admin"])   # staff
    token = customer_token(customer_id)              # a customer: only their own record
    token = service_token("customers:read")          # a machine client with scopes
    stub = Stub(authorized_channel(target, token))   # every call sends the token
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from crm_platform.auth import ALGORITHM, StaticKeys, TokenVerifier
from crm_platform.settings import DEFAULT_JWT_AUDIENCE, DEFAULT_JWT_ISSUER

ISSUER = DEFAULT_JWT_ISSUER
AUDIENCE = DEFAULT_JWT_AUDIENCE
ADMIN_SUBJECT = "test-admin"


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: Ed25519PrivateKey

    @classmethod
    def generate(cls, kid: str | None = None) -> SigningKey:
        return cls(kid or f"test-{uuid.uuid4().hex[:8]}", Ed25519PrivateKey.generate())

    def public_jwk(self) -> dict[str, str]:
        raw = self.private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return {
            "kty": "OKP",
            "crv": "Ed25519",
            "x": _b64(raw),
            "kid": self.kid,
            "alg": ALGORITHM,
            "use": "sig",
        }

    def public_pem(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )


# One key pair per test process; the JWKS files and verifiers below publish it by default.
TEST_KEY = SigningKey.generate("test-key-1")


def jwks(*keys: SigningKey) -> dict[str, Any]:
    return {"keys": [key.public_jwk() for key in (keys or (TEST_KEY,))]}


def write_jwks(path: Path, *keys: SigningKey) -> Path:
    """A JWKS file with the public half of `keys` (default: the test key), for CRM_JWKS_FILE."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(jwks(*keys)))
    return path


def token_verifier(*keys: SigningKey) -> TokenVerifier:
    """A verifier that trusts `keys` (default: the test key), for the default issuer/audience."""
    return TokenVerifier(StaticKeys(jwks(*keys)), issuer=ISSUER, audience=AUDIENCE)


def claims_for(
    subject: str = ADMIN_SUBJECT,
    *,
    kind: str = "staff",
    roles: Iterable[str] = ("admin",),
    scopes: Iterable[str] = (),
    customer_id: str | None = None,
    partner_id: str | None = None,
    issuer: str = ISSUER,
    audience: str = AUDIENCE,
    expires_in: float = 3600,  # tokens made at collection time outlive a long test run
    issued_at: float | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    now = int(time.time() if issued_at is None else issued_at)
    claims: dict[str, Any] = {
        "iss": issuer,
        "aud": audience,
        "sub": subject,
        "iat": now,
        "exp": int(now + expires_in),
        "jti": uuid.uuid4().hex,
        "kind": kind,
        "roles": list(roles),
        "scope": " ".join(scopes),
    }
    if customer_id is not None:
        claims["customer_id"] = customer_id
    if partner_id is not None:
        claims["partner_id"] = partner_id
    claims.update(extra or {})
    return claims


def sign(claims: Mapping[str, Any], key: SigningKey = TEST_KEY, kid: str | None = None) -> str:
    return jwt.encode(
        dict(claims), key.private_key, algorithm=ALGORITHM, headers={"kid": kid or key.kid}
    )


def issue_token(subject: str = ADMIN_SUBJECT, *, key: SigningKey = TEST_KEY, **claims: Any) -> str:
    """A valid token signed by `key` (default: the test key); see `claims_for`."""
    return sign(claims_for(subject, **claims), key)


def admin_token(subject: str = ADMIN_SUBJECT) -> str:
    return issue_token(subject, roles=["admin"])


def staff_token(*roles: str, subject: str = "test-staff") -> str:
    return issue_token(subject, roles=roles)


def customer_token(customer_id: str, subject: str | None = None) -> str:
    return issue_token(
        subject or f"customer-user-{customer_id}",
        kind="customer",
        roles=["customer"],
        customer_id=customer_id,
    )


def partner_token(partner_id: str, subject: str = "test-partner-user") -> str:
    return issue_token(subject, kind="partner", roles=["partner_user"], partner_id=partner_id)


def service_token(*scopes: str, subject: str = "test-client") -> str:
    return issue_token(subject, kind="service", roles=[], scopes=scopes)


# -- forgeries ---------------------------------------------------------------------------------


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _segment(value: Mapping[str, Any]) -> str:
    return _b64(json.dumps(dict(value), separators=(",", ":")).encode())


def unsigned_token(claims: Mapping[str, Any] | None = None, kid: str | None = None) -> str:
    """`alg: none`: claims with no signature at all."""
    header = {"alg": "none", "typ": "JWT", "kid": kid or TEST_KEY.kid}
    return f"{_segment(header)}.{_segment(claims or claims_for())}."


def hs256_with_public_key(
    claims: Mapping[str, Any] | None = None, key: SigningKey = TEST_KEY
) -> str:
    """HS256 with the (public) verification key as the HMAC secret: the algorithm confusion
    attack against verifiers that let the token choose the algorithm."""
    header = {"alg": "HS256", "typ": "JWT", "kid": key.kid}
    signing_input = f"{_segment(header)}.{_segment(claims or claims_for())}"
    digest = hmac.new(key.public_pem(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(digest)}"


def tampered(token: str, **changes: Any) -> str:
    """The token with its claims changed (re-encoded) and the original signature kept."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(changes)
    return f"{header}.{_segment(claims)}.{signature}"


# -- channels ----------------------------------------------------------------------------------


class _Bearer(grpc.UnaryUnaryClientInterceptor):  # type: ignore[type-arg]  # generic only in the stubs
    def __init__(self, token: Callable[[], str | None]) -> None:
        self.token = token

    def intercept_unary_unary(
        self, continuation: Callable[..., Any], details: grpc.ClientCallDetails, request: Any
    ) -> Any:
        metadata = list(details.metadata or [])
        token = self.token()
        if token and not any(name == "authorization" for name, _value in metadata):
            metadata.append(("authorization", f"Bearer {token}"))
        return continuation(details._replace(metadata=metadata), request)  # type: ignore[attr-defined]


def authorized_channel(
    target: str | grpc.Channel, token: str | Callable[[], str | None]
) -> grpc.Channel:
    """A channel whose calls send `token` (or what the callable answers at call time), unless
    a call names its own `authorization` metadata."""
    channel = grpc.insecure_channel(target) if isinstance(target, str) else target
    source = token if callable(token) else (lambda: token)
    return grpc.intercept_channel(channel, _Bearer(source))


def bearer(token: str) -> tuple[tuple[str, str]]:
    """Call metadata carrying `token`: `stub.Method(request, metadata=bearer(token))`."""
    return (("authorization", f"Bearer {token}"),)
