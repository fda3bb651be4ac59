"""What the identity handlers need from storage, cryptography and the customer service;
adapters provide it, unit tests fake it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from crm_platform.ports import Transaction

from crm_identity.domain.model import (
    AccountKind,
    MachineClient,
    RefreshToken,
    SigningKey,
    User,
)


class UserRepository(Protocol):
    def get(self, user_id: UUID) -> User | None: ...

    def find_by_email(self, email: str) -> User | None:
        """By the normalized email."""
        ...

    def add(self, user: User) -> None:
        """Insert; AlreadyExists when the email (or the customer's login) is taken."""
        ...

    def save(self, user: User) -> None: ...

    def list_page(
        self, kind: AccountKind | None, after_email: str | None, limit: int
    ) -> list[User]:
        """Ordered by email, starting after `after_email`."""
        ...

    def count_active_admins(self) -> int: ...

    def lock_admins(self) -> None:
        """Serialize changes that may remove the last active admin (a no-op on SQLite, whose
        writers are serialized anyway)."""
        ...


class ClientRepository(Protocol):
    def get(self, client_id: UUID) -> MachineClient | None: ...

    def add(self, client: MachineClient) -> None: ...

    def save(self, client: MachineClient) -> None: ...

    def all(self) -> list[MachineClient]:
        """Newest first."""
        ...


class RefreshTokenRepository(Protocol):
    def find_by_hash(self, token_hash: str) -> RefreshToken | None: ...

    def add(self, token: RefreshToken) -> None: ...

    def replace(self, token: RefreshToken, by: RefreshToken, *, now: datetime) -> bool:
        """Revoke `token` in favour of `by` (inserted), unless another request did first:
        False then, and nothing is written."""
        ...

    def revoke_family(self, family_id: UUID, *, now: datetime) -> None: ...

    def revoke_for_user(self, user_id: UUID, *, now: datetime) -> None: ...


class SigningKeyRepository(Protocol):
    def all(self) -> list[SigningKey]:
        """Every stored key, newest first."""
        ...

    def add(self, key: SigningKey) -> None: ...

    def save(self, key: SigningKey) -> None: ...


class UnitOfWork(Transaction, Protocol):
    """One transaction over the identity tables."""

    @property
    def users(self) -> UserRepository: ...

    @property
    def clients(self) -> ClientRepository: ...

    @property
    def refresh_tokens(self) -> RefreshTokenRepository: ...

    @property
    def signing_keys(self) -> SigningKeyRepository: ...


class PasswordHasher(Protocol):
    def hash(self, secret: str) -> str: ...

    def verify(self, secret_hash: str, secret: str) -> bool:
        """False for a wrong secret or a hash this hasher cannot read."""
        ...

    def needs_rehash(self, secret_hash: str) -> bool:
        """The hash was made with other parameters than the current ones."""
        ...


class KeyVault(Protocol):
    """Ed25519 key pairs: made, kept encrypted at rest, and used to sign JWTs."""

    def generate(self, *, now: datetime) -> SigningKey: ...

    def sign(self, key: SigningKey, claims: dict[str, Any]) -> str: ...

    def public_jwk(self, key: SigningKey) -> dict[str, str]: ...

    def verify(
        self, token: str, keys: list[SigningKey], *, audience: str, issuer: str
    ) -> dict[str, Any]:
        """The claims of a token signed by one of `keys`; TokenRejected otherwise."""
        ...


@dataclass(frozen=True)
class ProfileFields:
    """What a customer gives when registering, besides the login's email and password."""

    name: str
    email: str
    phone: str
    region: str | None = None
    city: str | None = None
    birth_date: str | None = None  # ISO 8601
    gender: str | None = None  # female, male or other
    preferences: dict[str, str] | None = None


@dataclass(frozen=True)
class RegisteredCustomer:
    id: str
    record: Any  # the record as the customer service answered it


class CustomerDirectory(Protocol):
    """The customer service, as registration needs it. Calls carry a service token."""

    def is_blacklisted(self, email: str, phone: str, *, token: str) -> bool: ...

    def create(
        self, profile: ProfileFields, *, idempotency_key: str, token: str
    ) -> RegisteredCustomer:
        """AlreadyExists when the email or phone belongs to a customer already."""
        ...
