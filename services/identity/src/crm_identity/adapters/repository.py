"""Identity repositories over SQLAlchemy Core: rows in, domain objects out, and back.

A unique-index violation on insert becomes AlreadyExists; inserts that may violate one run in
a savepoint, so the transaction stays usable.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from crm_platform.errors import AlreadyExists
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crm_identity.adapters.orm import (
    machine_clients,
    refresh_tokens,
    signing_keys,
    user_roles,
    users,
)
from crm_identity.domain.model import (
    AccountKind,
    MachineClient,
    RefreshToken,
    Role,
    Scope,
    SigningKey,
    User,
    format_scopes,
)


def _scopes(text: str) -> frozenset[Scope]:
    known = {scope.value for scope in Scope}
    # a scope dropped from the product since the row was written grants nothing now
    return frozenset(Scope(name) for name in text.split() if name in known)


class SqlUserRepository:
    """`track` is the unit of work's: the accounts it loads or adds publish their changes."""

    def __init__(self, session: Session, track: Callable[[User], None]) -> None:
        self.session = session
        self._track = track

    def get(self, user_id: UUID) -> User | None:
        return self._first(sa.select(users).where(users.c.id == user_id))

    def find_by_email(self, email: str) -> User | None:
        return self._first(sa.select(users).where(users.c.email == email))

    def add(self, user: User) -> None:
        try:
            with self.session.begin_nested():
                self.session.execute(sa.insert(users).values(_user_values(user)))
                self._insert_roles(user.id, user.roles)
        except IntegrityError:
            raise AlreadyExists(
                "an account with this email (or for this customer) exists already",
                existing_id="",
            ) from None
        self._track(user)

    def save(self, user: User) -> None:
        self.session.execute(
            sa.update(users).where(users.c.id == user.id).values(_user_values(user))
        )
        stored = {
            Role(row.role)
            for row in self.session.execute(
                sa.select(user_roles.c.role).where(user_roles.c.user_id == user.id)
            )
        }
        removed = stored - user.roles
        if removed:
            self.session.execute(
                sa.delete(user_roles)
                .where(user_roles.c.user_id == user.id)
                .where(user_roles.c.role.in_([role.value for role in removed]))
            )
        self._insert_roles(user.id, user.roles - stored)

    def list_page(
        self, kind: AccountKind | None, after_email: str | None, limit: int
    ) -> list[User]:
        statement = sa.select(users)
        if kind is not None:
            statement = statement.where(users.c.kind == kind.value)
        if after_email is not None:
            statement = statement.where(users.c.email > after_email)
        return self._hydrate(self.session.execute(statement.order_by(users.c.email).limit(limit)))

    def _active_admins(self) -> sa.Select[Any]:
        return (
            sa.select(users.c.id)
            .join(user_roles, user_roles.c.user_id == users.c.id)
            .where(user_roles.c.role == Role.ADMIN.value)
            .where(users.c.disabled.is_(False))
        )

    def count_active_admins(self) -> int:
        return len(self.session.execute(self._active_admins()).all())

    def lock_admins(self) -> None:
        if self.session.get_bind().dialect.name == "postgresql":
            # the admins' rows: demoting two of them at once cannot leave none; for the first
            # admin, a transaction-scoped advisory lock stands in for rows that do not exist
            self.session.execute(sa.text("SELECT pg_advisory_xact_lock(7346001)"))
            self.session.execute(self._active_admins().with_for_update(of=users))

    def _first(self, statement: sa.Select[Any]) -> User | None:
        found = self._hydrate(self.session.execute(statement))
        return found[0] if found else None

    def _hydrate(self, rows: Iterable[sa.Row[Any]]) -> list[User]:
        rows = list(rows)
        if not rows:
            return []
        roles: dict[UUID, set[Role]] = {row.id: set() for row in rows}
        for role_row in self.session.execute(
            sa.select(user_roles).where(user_roles.c.user_id.in_(list(roles)))
        ):
            roles[role_row.user_id].add(Role(role_row.role))
        hydrated = [
            User(
                id=row.id,
                email=row.email,
                kind=AccountKind(row.kind),
                roles=frozenset(roles[row.id]),
                password_hash=row.password_hash,
                created_at=row.created_at,
                updated_at=row.updated_at,
                name=row.name,
                customer_id=row.customer_id,
                partner_id=row.partner_id,
                disabled=row.disabled,
                last_login_at=row.last_login_at,
                version=row.version,
            )
            for row in rows
        ]
        for user in hydrated:
            self._track(user)
        return hydrated

    def _insert_roles(self, user_id: UUID, roles: Iterable[Role]) -> None:
        values = [{"user_id": user_id, "role": role.value} for role in sorted(roles)]
        if values:
            self.session.execute(sa.insert(user_roles), values)


def _user_values(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        "kind": user.kind.value,
        "name": user.name,
        "password_hash": user.password_hash,
        "customer_id": user.customer_id,
        "partner_id": user.partner_id,
        "disabled": user.disabled,
        "version": user.version,
        "created_at": user.created_at,
        "updated_at": user.updated_at,
        "last_login_at": user.last_login_at,
    }


class SqlClientRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, client_id: UUID) -> MachineClient | None:
        row = self.session.execute(
            sa.select(machine_clients).where(machine_clients.c.id == client_id)
        ).first()
        return _client(row) if row is not None else None

    def add(self, client: MachineClient) -> None:
        self.session.execute(sa.insert(machine_clients).values(_client_values(client)))

    def save(self, client: MachineClient) -> None:
        self.session.execute(
            sa.update(machine_clients)
            .where(machine_clients.c.id == client.id)
            .values(_client_values(client))
        )

    def all(self) -> list[MachineClient]:
        statement = sa.select(machine_clients).order_by(
            machine_clients.c.created_at.desc(), machine_clients.c.id
        )
        return [_client(row) for row in self.session.execute(statement)]


def _client(row: sa.Row[Any]) -> MachineClient:
    return MachineClient(
        id=row.id,
        name=row.name,
        secret_hash=row.secret_hash,
        scopes=_scopes(row.scopes),
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


def _client_values(client: MachineClient) -> dict[str, Any]:
    return {
        "id": client.id,
        "name": client.name,
        "secret_hash": client.secret_hash,
        "scopes": format_scopes(client.scopes),
        "created_at": client.created_at,
        "revoked_at": client.revoked_at,
    }


class SqlRefreshTokenRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def find_by_hash(self, token_hash: str) -> RefreshToken | None:
        row = self.session.execute(
            sa.select(refresh_tokens).where(refresh_tokens.c.token_hash == token_hash)
        ).first()
        if row is None:
            return None
        return RefreshToken(
            id=row.id,
            family_id=row.family_id,
            user_id=row.user_id,
            token_hash=row.token_hash,
            scopes=_scopes(row.scopes),
            created_at=row.created_at,
            expires_at=row.expires_at,
            revoked_at=row.revoked_at,
            replaced_by_id=row.replaced_by_id,
        )

    def add(self, token: RefreshToken) -> None:
        self.session.execute(
            sa.insert(refresh_tokens).values(
                id=token.id,
                family_id=token.family_id,
                user_id=token.user_id,
                token_hash=token.token_hash,
                scopes=format_scopes(token.scopes),
                created_at=token.created_at,
                expires_at=token.expires_at,
                revoked_at=token.revoked_at,
                replaced_by_id=token.replaced_by_id,
            )
        )

    def replace(self, token: RefreshToken, by: RefreshToken, *, now: datetime) -> bool:
        # conditional: of two requests with the same token, the second finds it revoked
        result: sa.CursorResult[Any] = self.session.execute(  # type: ignore[assignment]
            sa.update(refresh_tokens)
            .where(refresh_tokens.c.id == token.id)
            .where(refresh_tokens.c.revoked_at.is_(None))
            .values(revoked_at=now, replaced_by_id=by.id)
        )
        if result.rowcount != 1:
            return False
        self.add(by)
        return True

    def revoke_family(self, family_id: UUID, *, now: datetime) -> None:
        self.session.execute(
            sa.update(refresh_tokens)
            .where(refresh_tokens.c.family_id == family_id)
            .where(refresh_tokens.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )

    def revoke_for_user(self, user_id: UUID, *, now: datetime) -> None:
        self.session.execute(
            sa.update(refresh_tokens)
            .where(refresh_tokens.c.user_id == user_id)
            .where(refresh_tokens.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )


class SqlSigningKeyRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def all(self) -> list[SigningKey]:
        statement = sa.select(signing_keys).order_by(
            signing_keys.c.created_at.desc(), signing_keys.c.kid
        )
        return [
            SigningKey(
                kid=row.kid,
                public_key=row.public_key,
                private_key=row.private_key,
                encrypted=row.encrypted,
                created_at=row.created_at,
                retired_at=row.retired_at,
                published_until=row.published_until,
            )
            for row in self.session.execute(statement)
        ]

    def add(self, key: SigningKey) -> None:
        self.session.execute(sa.insert(signing_keys).values(_key_values(key)))

    def save(self, key: SigningKey) -> None:
        self.session.execute(
            sa.update(signing_keys).where(signing_keys.c.kid == key.kid).values(_key_values(key))
        )


def _key_values(key: SigningKey) -> dict[str, Any]:
    return {
        "kid": key.kid,
        "public_key": key.public_key,
        "private_key": key.private_key,
        "encrypted": key.encrypted,
        "created_at": key.created_at,
        "retired_at": key.retired_at,
        "published_until": key.published_until,
    }
