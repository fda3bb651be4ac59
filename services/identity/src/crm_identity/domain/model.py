"""Identity: accounts (staff, customer, partner) with roles, machine clients with scopes,
rotating refresh tokens and the keys that sign access tokens.

Pure Python. Times are timezone-aware UTC and passed in by the caller (`now`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from crm_platform.errors import FailedPrecondition, FieldViolation, ValidationFailed

EMAIL_MAX_LENGTH = 254
PASSWORD_MIN_LENGTH = 10
PASSWORD_MAX_LENGTH = 256  # argon2 takes any length; the cap bounds the work per attempt
NAME_MAX_LENGTH = 200
PARTNER_ID_MAX_LENGTH = 100


class AccountKind(StrEnum):
    STAFF = "staff"
    CUSTOMER = "customer"
    PARTNER = "partner"


class Role(StrEnum):
    ADMIN = "admin"
    MANAGER = "manager"
    SALES_REP = "sales_rep"
    MARKETER = "marketer"
    SERVICE_AGENT = "service_agent"
    FINANCE = "finance"
    ANALYST = "analyst"
    PARTNER_USER = "partner_user"
    CUSTOMER = "customer"


STAFF_ROLES = frozenset(
    {
        Role.ADMIN,
        Role.MANAGER,
        Role.SALES_REP,
        Role.MARKETER,
        Role.SERVICE_AGENT,
        Role.FINANCE,
        Role.ANALYST,
    }
)
# The one role an account of each other kind has.
KIND_ROLE = {AccountKind.CUSTOMER: Role.CUSTOMER, AccountKind.PARTNER: Role.PARTNER_USER}


class Scope(StrEnum):
    """OAuth scopes: what a token may be used for, on top of the roles of its subject."""

    CUSTOMERS_READ = "customers:read"
    CUSTOMERS_WRITE = "customers:write"
    ANALYTICS_READ = "analytics:read"
    IDENTITY_ADMIN = "identity:admin"


ALL_SCOPES = frozenset(Scope)
# The scopes a role brings; an account's tokens carry the union over its roles (or the part of
# it the client asked for). Object-level rules (own record, own partner) apply on top.
ROLE_SCOPES: dict[Role, frozenset[Scope]] = {
    Role.ADMIN: ALL_SCOPES,
    Role.MANAGER: frozenset({Scope.CUSTOMERS_READ, Scope.CUSTOMERS_WRITE, Scope.ANALYTICS_READ}),
    Role.SALES_REP: frozenset({Scope.CUSTOMERS_READ, Scope.CUSTOMERS_WRITE}),
    Role.MARKETER: frozenset({Scope.CUSTOMERS_READ, Scope.ANALYTICS_READ}),
    Role.SERVICE_AGENT: frozenset({Scope.CUSTOMERS_READ, Scope.CUSTOMERS_WRITE}),
    Role.FINANCE: frozenset({Scope.CUSTOMERS_READ, Scope.ANALYTICS_READ}),
    Role.ANALYST: frozenset({Scope.ANALYTICS_READ}),
    Role.PARTNER_USER: frozenset({Scope.CUSTOMERS_READ}),
    Role.CUSTOMER: frozenset({Scope.CUSTOMERS_READ, Scope.CUSTOMERS_WRITE}),
}


def normalize_email(email: str) -> str:
    """Logins compare emails case-insensitively; the stored form is trimmed lowercase."""
    value = email.strip().lower()
    if not value or "@" not in value or len(value) > EMAIL_MAX_LENGTH:
        raise ValidationFailed(FieldViolation("email", "must be an email address"))
    return value


def check_password_policy(password: str, *, field: str = "password") -> None:
    if len(password) < PASSWORD_MIN_LENGTH:
        raise ValidationFailed(
            FieldViolation(field, f"must be at least {PASSWORD_MIN_LENGTH} characters")
        )
    if len(password) > PASSWORD_MAX_LENGTH:
        raise ValidationFailed(
            FieldViolation(field, f"must be at most {PASSWORD_MAX_LENGTH} characters")
        )


def parse_roles(names: Iterable[str]) -> frozenset[Role]:
    names = list(names)
    known = {role.value for role in Role}
    unknown = sorted(set(names) - known)
    if unknown:
        raise ValidationFailed(FieldViolation("roles", f"unknown roles: {', '.join(unknown)}"))
    return frozenset(Role(name) for name in names)


def parse_scopes(text: str, *, field: str = "scope") -> frozenset[Scope]:
    """A space-separated scope list (RFC 6749 section 3.3)."""
    names = set(text.split())
    unknown = sorted(names - {scope.value for scope in Scope})
    if unknown:
        raise ValidationFailed(FieldViolation(field, f"unknown scopes: {', '.join(unknown)}"))
    return frozenset(Scope(name) for name in names)


def format_scopes(scopes: frozenset[Scope] | frozenset[str]) -> str:
    return " ".join(sorted(scopes))


def _check_roles(kind: AccountKind, roles: frozenset[Role]) -> None:
    if kind is AccountKind.STAFF:
        if not roles:
            raise ValidationFailed(FieldViolation("roles", "a staff account needs a role"))
        outside = sorted(roles - STAFF_ROLES)
        if outside:
            raise ValidationFailed(
                FieldViolation("roles", f"not roles of staff: {', '.join(outside)}")
            )
    elif roles != {KIND_ROLE[kind]}:
        raise ValidationFailed(
            FieldViolation("roles", f"a {kind} account has exactly the role {KIND_ROLE[kind]}")
        )


@dataclass
class User:
    """An account that logs in with an email and a password."""

    id: UUID
    email: str
    kind: AccountKind
    roles: frozenset[Role]
    password_hash: str
    created_at: datetime
    updated_at: datetime
    name: str | None = None
    customer_id: UUID | None = None  # kind customer: the customer record this login is
    partner_id: str | None = None  # kind partner: the partner the account works for
    disabled: bool = False
    last_login_at: datetime | None = None
    version: int = 1  # counts the changes other services hear of (AccountChanged)
    _events: list[AccountChanged] = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def open(
        cls,
        *,
        user_id: UUID,
        email: str,
        kind: AccountKind,
        roles: frozenset[Role],
        password_hash: str,
        now: datetime,
        name: str | None = None,
        customer_id: UUID | None = None,
        partner_id: str | None = None,
    ) -> User:
        _check_roles(kind, roles)
        if kind is AccountKind.CUSTOMER and customer_id is None:
            raise ValidationFailed(FieldViolation("customer_id", "a customer login needs one"))
        if kind is not AccountKind.CUSTOMER and customer_id is not None:
            raise ValidationFailed(FieldViolation("customer_id", "only for customer logins"))
        if kind is AccountKind.PARTNER and not partner_id:
            raise ValidationFailed(FieldViolation("partner_id", "a partner account needs one"))
        if kind is not AccountKind.PARTNER and partner_id is not None:
            raise ValidationFailed(FieldViolation("partner_id", "only for partner accounts"))
        if partner_id is not None and len(partner_id) > PARTNER_ID_MAX_LENGTH:
            raise ValidationFailed(
                FieldViolation("partner_id", f"must be at most {PARTNER_ID_MAX_LENGTH} characters")
            )
        user = cls(
            id=user_id,
            email=normalize_email(email),
            kind=kind,
            roles=roles,
            password_hash=password_hash,
            created_at=now,
            updated_at=now,
            name=name,
            customer_id=customer_id,
            partner_id=partner_id,
        )
        user._record_change(now)
        return user

    def pull_events(self) -> list[AccountChanged]:
        events, self._events = self._events, []
        return events

    @property
    def is_active_admin(self) -> bool:
        return not self.disabled and Role.ADMIN in self.roles

    @property
    def allowed_scopes(self) -> frozenset[Scope]:
        return frozenset().union(*(ROLE_SCOPES[role] for role in self.roles))

    def change_roles(self, roles: frozenset[Role], *, now: datetime) -> None:
        _check_roles(self.kind, roles)
        if roles != self.roles:
            self.roles = roles
            self.version += 1
            self._record_change(now)
        self.updated_at = now

    def disable(self, *, now: datetime) -> None:
        self.disabled = True
        self.version += 1
        self._record_change(now)
        self.updated_at = now

    def enable(self, *, now: datetime) -> None:
        self.disabled = False
        self.version += 1
        self._record_change(now)
        self.updated_at = now

    def _record_change(self, now: datetime) -> None:
        # Customers' logins are theirs alone: no other service hands them work.
        if self.kind is not AccountKind.CUSTOMER:
            self._events.append(
                AccountChanged(
                    self.id, self.kind, self.roles, self.disabled, self.partner_id, now,
                    self.version,
                )
            )  # fmt: skip

    def rename(self, name: str | None, *, now: datetime) -> None:
        self.name = name
        self.updated_at = now

    def change_password_hash(self, password_hash: str, *, now: datetime) -> None:
        self.password_hash = password_hash
        self.updated_at = now

    def logged_in(self, *, now: datetime) -> None:
        self.last_login_at = now


@dataclass(frozen=True)
class AccountChanged:
    """A staff or partner account was opened, or its roles or disabled flag changed."""

    user_id: UUID
    kind: AccountKind
    roles: frozenset[Role]
    disabled: bool
    partner_id: str | None
    changed_at: datetime
    version: int


@dataclass
class MachineClient:
    """An enterprise system calling the API with its own credentials (client_credentials)."""

    id: UUID  # the client_id, as text
    name: str
    secret_hash: str
    scopes: frozenset[Scope]
    created_at: datetime
    revoked_at: datetime | None = None

    @property
    def client_id(self) -> str:
        return str(self.id)

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def revoke(self, *, now: datetime) -> None:
        if self.revoked_at is None:
            self.revoked_at = now


@dataclass
class RefreshToken:
    """One link of a rotation chain. Only the hash of the opaque token is kept.

    Using a token replaces it by the next one of its family; presenting a token that was
    already replaced or revoked means it leaked, and the whole family is revoked.
    """

    id: UUID
    family_id: UUID
    user_id: UUID
    token_hash: str
    scopes: frozenset[Scope]
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None
    replaced_by_id: UUID | None = None

    def usable(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at


@dataclass
class SigningKey:
    """An Ed25519 key pair. The newest unretired key signs; a retired key stays published
    until every token it signed has expired, so rotation logs nobody out."""

    kid: str
    public_key: bytes  # raw 32 bytes
    private_key: bytes  # PKCS#8 PEM, encrypted when identity has a key-encryption key
    encrypted: bool
    created_at: datetime
    retired_at: datetime | None = None
    published_until: datetime | None = None  # None while the key signs

    @property
    def active(self) -> bool:
        return self.retired_at is None

    def is_published(self, now: datetime) -> bool:
        return self.published_until is None or now < self.published_until

    def retire(self, *, now: datetime, longest_token_life: timedelta) -> None:
        if self.retired_at is not None:
            raise FailedPrecondition(f"signing key {self.kid} is already retired")
        self.retired_at = now
        self.published_until = now + longest_token_life
