"""In-memory stand-ins for the identity storage and the customer service directory."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Self
from uuid import UUID, uuid4

import argon2
from crm_identity.adapters.passwords import Argon2Passwords
from crm_identity.domain.model import (
    AccountKind,
    MachineClient,
    RefreshToken,
    Role,
    SigningKey,
    User,
)
from crm_identity.service_layer.ports import ProfileFields, RegisteredCustomer
from crm_platform.errors import AlreadyExists
from crm_proto.crm.customer.v1 import customer_pb2


def fast_passwords() -> Argon2Passwords:
    """argon2id at its cheapest: tests hash many passwords."""
    return Argon2Passwords(argon2.PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@dataclass
class Store:
    users: dict[UUID, User] = field(default_factory=dict)
    clients: dict[UUID, MachineClient] = field(default_factory=dict)
    refresh_tokens: dict[UUID, RefreshToken] = field(default_factory=dict)
    keys: dict[str, SigningKey] = field(default_factory=dict)
    commits: int = 0


class FakeUsers:
    def __init__(self, store: Store) -> None:
        self.store = store

    def get(self, user_id: UUID) -> User | None:
        return copy.deepcopy(self.store.users.get(user_id))

    def find_by_email(self, email: str) -> User | None:
        found = next((u for u in self.store.users.values() if u.email == email), None)
        return copy.deepcopy(found)

    def add(self, user: User) -> None:
        if any(u.email == user.email for u in self.store.users.values()):
            raise AlreadyExists("taken", existing_id="")
        self.store.users[user.id] = copy.deepcopy(user)

    def save(self, user: User) -> None:
        self.store.users[user.id] = copy.deepcopy(user)

    def list_page(
        self, kind: AccountKind | None, after_email: str | None, limit: int
    ) -> list[User]:
        users = sorted(self.store.users.values(), key=lambda u: u.email)
        users = [u for u in users if kind is None or u.kind is kind]
        users = [u for u in users if after_email is None or u.email > after_email]
        return copy.deepcopy(users[:limit])

    def count_active_admins(self) -> int:
        return sum(1 for u in self.store.users.values() if u.is_active_admin)

    def lock_admins(self) -> None:
        pass


class FakeClients:
    def __init__(self, store: Store) -> None:
        self.store = store

    def get(self, client_id: UUID) -> MachineClient | None:
        return copy.deepcopy(self.store.clients.get(client_id))

    def add(self, client: MachineClient) -> None:
        self.store.clients[client.id] = copy.deepcopy(client)

    def save(self, client: MachineClient) -> None:
        self.store.clients[client.id] = copy.deepcopy(client)

    def all(self) -> list[MachineClient]:
        return sorted(self.store.clients.values(), key=lambda c: c.created_at, reverse=True)


class FakeRefreshTokens:
    def __init__(self, store: Store) -> None:
        self.store = store

    def find_by_hash(self, token_hash: str) -> RefreshToken | None:
        found = next(
            (t for t in self.store.refresh_tokens.values() if t.token_hash == token_hash), None
        )
        return copy.deepcopy(found)

    def add(self, token: RefreshToken) -> None:
        self.store.refresh_tokens[token.id] = copy.deepcopy(token)

    def replace(self, token: RefreshToken, by: RefreshToken, *, now: datetime) -> bool:
        stored = self.store.refresh_tokens[token.id]
        if stored.revoked_at is not None:
            return False
        stored.revoked_at, stored.replaced_by_id = now, by.id
        self.add(by)
        return True

    def revoke_family(self, family_id: UUID, *, now: datetime) -> None:
        for token in self.store.refresh_tokens.values():
            if token.family_id == family_id and token.revoked_at is None:
                token.revoked_at = now

    def revoke_for_user(self, user_id: UUID, *, now: datetime) -> None:
        for token in self.store.refresh_tokens.values():
            if token.user_id == user_id and token.revoked_at is None:
                token.revoked_at = now


class FakeKeys:
    def __init__(self, store: Store) -> None:
        self.store = store

    def all(self) -> list[SigningKey]:
        return sorted(
            copy.deepcopy(list(self.store.keys.values())),
            key=lambda k: k.created_at,
            reverse=True,
        )

    def add(self, key: SigningKey) -> None:
        self.store.keys[key.kid] = copy.deepcopy(key)

    def save(self, key: SigningKey) -> None:
        self.store.keys[key.kid] = copy.deepcopy(key)


class FakeUnitOfWork:
    """Writes go straight to the store (no rollback): enough for the handlers' rules."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.users = FakeUsers(store)
        self.clients = FakeClients(store)
        self.refresh_tokens = FakeRefreshTokens(store)
        self.signing_keys = FakeKeys(store)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        pass

    def commit(self) -> None:
        self.store.commits += 1


@dataclass
class FakeDirectory:
    """The customer service as registration sees it."""

    blacklisted: set[str] = field(default_factory=set)
    existing: set[str] = field(default_factory=set)
    created: list[tuple[ProfileFields, str, str]] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)

    def is_blacklisted(self, email: str, phone: str, *, token: str) -> bool:
        self.tokens.append(token)
        return bool({email, phone} & self.blacklisted)

    def create(
        self, profile: ProfileFields, *, idempotency_key: str, token: str
    ) -> RegisteredCustomer:
        self.tokens.append(token)
        if {profile.email, profile.phone} & self.existing:
            raise AlreadyExists("taken", existing_id="")
        self.created.append((profile, idempotency_key, token))
        record = customer_pb2.Customer(id=str(uuid4()), name=profile.name, email=profile.email)
        return RegisteredCustomer(record.id, record)


def admin_roles() -> frozenset[Role]:
    return frozenset({Role.ADMIN})
