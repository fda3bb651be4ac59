"""Ed25519 signing keys: made here, kept in the identity database as PKCS#8 PEM (encrypted with
CRM_IDENTITY_KEY_ENCRYPTION_KEY when it is set), and used to sign and check EdDSA JWTs.

The key id is the key's RFC 7638 thumbprint, so it says which key signed without a counter.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import jwt
from crm_platform.errors import Unauthenticated
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from crm_identity.domain.model import SigningKey

ALGORITHM = "EdDSA"
REQUIRED_CLAIMS = ["iss", "aud", "exp", "iat", "sub", "jti"]


class KeyDecryptionError(RuntimeError):
    """A stored private key cannot be read with the configured key-encryption key."""


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def thumbprint(public_key: bytes) -> str:
    """RFC 7638: SHA-256 over the required members of the JWK, in lexical order."""
    canonical = json.dumps(
        {"crv": "Ed25519", "kty": "OKP", "x": _b64url(public_key)},
        separators=(",", ":"),
        sort_keys=True,
    )
    return _b64url(hashlib.sha256(canonical.encode()).digest())


class Ed25519Vault:
    def __init__(self, encryption_key: str | None, *, leeway: timedelta = timedelta(0)) -> None:
        self._passphrase = encryption_key.encode() if encryption_key else None
        self._leeway = leeway
        self._private: dict[str, Ed25519PrivateKey] = {}  # decrypted once per process
        self._lock = threading.Lock()

    @property
    def encrypts(self) -> bool:
        return self._passphrase is not None

    def generate(self, *, now: datetime) -> SigningKey:
        private = Ed25519PrivateKey.generate()
        public = private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        encryption: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(self._passphrase)
            if self._passphrase
            else serialization.NoEncryption()
        )
        pem = private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
        )
        kid = thumbprint(public)
        with self._lock:
            self._private[kid] = private
        return SigningKey(
            kid=kid,
            public_key=public,
            private_key=pem,
            encrypted=self._passphrase is not None,
            created_at=now,
        )

    def private_key(self, key: SigningKey) -> Ed25519PrivateKey:
        with self._lock:
            found = self._private.get(key.kid)
        if found is not None:
            return found
        if key.encrypted and self._passphrase is None:
            raise KeyDecryptionError(
                f"signing key {key.kid} is encrypted: set CRM_IDENTITY_KEY_ENCRYPTION_KEY"
            )
        try:
            loaded = serialization.load_pem_private_key(
                key.private_key, password=self._passphrase if key.encrypted else None
            )
        except (ValueError, TypeError):
            raise KeyDecryptionError(
                f"signing key {key.kid} cannot be read with CRM_IDENTITY_KEY_ENCRYPTION_KEY"
            ) from None
        if not isinstance(loaded, Ed25519PrivateKey):
            raise KeyDecryptionError(f"signing key {key.kid} is not an Ed25519 key")
        with self._lock:
            self._private[key.kid] = loaded
        return loaded

    def sign(self, key: SigningKey, claims: dict[str, Any]) -> str:
        return jwt.encode(
            claims, self.private_key(key), algorithm=ALGORITHM, headers={"kid": key.kid}
        )

    def public_jwk(self, key: SigningKey) -> dict[str, str]:
        return {
            "kty": "OKP",
            "crv": "Ed25519",
            "x": _b64url(key.public_key),
            "kid": key.kid,
            "alg": ALGORITHM,
            "use": "sig",
        }

    def verify(
        self, token: str, keys: list[SigningKey], *, audience: str, issuer: str
    ) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise Unauthenticated("the access token is malformed") from None
        if header.get("alg") != ALGORITHM:
            raise Unauthenticated("the access token is not signed with EdDSA")
        key = next((k for k in keys if k.kid == header.get("kid")), None)
        if key is None:
            raise Unauthenticated("the access token was signed by an unknown key")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                Ed25519PublicKey.from_public_bytes(key.public_key),
                algorithms=[ALGORITHM],
                audience=audience,
                issuer=issuer,
                leeway=self._leeway,
                options={"require": REQUIRED_CLAIMS},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("the access token has expired") from None
        except jwt.PyJWTError as exc:
            raise Unauthenticated(f"the access token is not valid: {exc}") from None
        return claims


class PublishedKeys:
    """Identity's own key source for `crm_platform.auth.TokenVerifier`: the published keys
    read from its database (no call to its own GetPublicKeys), kept `max_age` seconds and
    read again, at most every `reload_interval` seconds, when a token names an unknown kid
    (a key rotated in by another worker or replica)."""

    def __init__(
        self,
        load: Callable[[], list[SigningKey]],
        *,
        max_age: float = 30.0,
        reload_interval: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._load = load
        self._max_age = max_age
        self._reload_interval = reload_interval
        self._clock = clock
        self._lock = threading.Lock()
        self._keys: dict[str, Ed25519PublicKey] = {}
        self._loaded_at = float("-inf")

    def check(self) -> None:
        """Read from identity's own database: known whenever the database answers."""

    def key_for(self, kid: str) -> Ed25519PublicKey | None:
        with self._lock:
            age = self._clock() - self._loaded_at
            if age >= self._max_age or (kid not in self._keys and age >= self._reload_interval):
                self._keys = {
                    key.kid: Ed25519PublicKey.from_public_bytes(key.public_key)
                    for key in self._load()
                }
                self._loaded_at = self._clock()
            return self._keys.get(kid)
