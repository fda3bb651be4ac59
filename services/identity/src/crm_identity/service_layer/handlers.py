"""Identity handlers: the OAuth 2.0 grants, token signing and keys, account and machine-client
administration, and customer self-registration. Each runs in one unit of work."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from crm_platform import paging
from crm_platform.errors import (
    AlreadyExists,
    FailedPrecondition,
    FieldViolation,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)

from crm_identity.domain.model import (
    AccountKind,
    MachineClient,
    RefreshToken,
    Role,
    Scope,
    SigningKey,
    User,
    check_password_policy,
    format_scopes,
    normalize_email,
    parse_scopes,
)
from crm_identity.service_layer.ports import (
    CustomerDirectory,
    KeyVault,
    PasswordHasher,
    ProfileFields,
    RegisteredCustomer,
    UnitOfWork,
)

# Verifiers accept tokens this much past their expiry (clock skew between hosts), so a retired
# key stays published that much longer too.
CLOCK_SKEW = timedelta(seconds=60)
# the subject of the service tokens identity signs for its own calls: customer records made by
# self-registration are recorded as made by the portal, where visitors register
REGISTRATION_CLIENT_ID = "portal"
REGISTRATION_SCOPES = frozenset({Scope.CUSTOMERS_READ, Scope.CUSTOMERS_WRITE})


def utc_now() -> datetime:
    return datetime.now(UTC)


def hash_token(token: str) -> str:
    """Refresh tokens are 256 random bits: a plain digest is enough to keep them unusable
    from a copy of the database."""
    return hashlib.sha256(token.encode()).hexdigest()


class OAuthError(Exception):
    """An error of the token endpoint, answered as RFC 6749 section 5.2 says."""

    def __init__(self, error: str, description: str, *, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


def invalid_grant(description: str) -> OAuthError:
    return OAuthError("invalid_grant", description)


def invalid_client() -> OAuthError:
    return OAuthError("invalid_client", "client authentication failed", status=401)


@dataclass(frozen=True)
class TokenSettings:
    issuer: str = "guanxi"
    audience: str = "guanxi-api"
    access_token_ttl: timedelta = timedelta(minutes=15)
    refresh_token_ttl: timedelta = timedelta(days=30)
    service_token_ttl: timedelta = timedelta(minutes=1)

    @property
    def longest_access_token_life(self) -> timedelta:
        return max(self.access_token_ttl, self.service_token_ttl) + CLOCK_SKEW


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    expires_in: int  # seconds
    scope: str
    refresh_token: str | None = None


@dataclass(frozen=True)
class Page:
    items: list[User]
    next_page_token: str  # empty on the last page


@dataclass(frozen=True)
class NewClient:
    client: MachineClient
    secret: str  # shown once, never stored


@dataclass(frozen=True)
class Registration:
    user: User
    customer: RegisteredCustomer


class IdentityService:
    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        passwords: PasswordHasher,
        vault: KeyVault,
        settings: TokenSettings | None = None,
        *,
        clock: Callable[[], datetime] = utc_now,
        new_id: Callable[[], UUID] = uuid4,
    ) -> None:
        self.uow_factory = uow_factory
        self.passwords = passwords
        self.vault = vault
        self.settings = settings or TokenSettings()
        self.clock = clock
        self.new_id = new_id
        self._dummy_hash: str | None = None

    # --- start-up ---------------------------------------------------------------------------

    def ensure_signing_key(self) -> SigningKey:
        """The active signing key; made on the first start."""
        with self.uow_factory() as uow:
            active = _active_key(uow.signing_keys.all())
            if active is not None:
                return active
            key = self.vault.generate(now=self.clock())
            uow.signing_keys.add(key)
            uow.commit()
            return key

    def bootstrap_admin(self, email: str, password: str) -> User | None:
        """An admin from the configuration, only while there is none: never again afterwards,
        and never over an existing account. Returns the account made, if any."""
        check_password_policy(password, field="CRM_BOOTSTRAP_ADMIN_PASSWORD")
        with self.uow_factory() as uow:
            uow.users.lock_admins()
            if uow.users.count_active_admins() > 0:
                return None
            if uow.users.find_by_email(normalize_email(email)) is not None:
                return None
            now = self.clock()
            user = User.open(
                user_id=self.new_id(),
                email=email,
                kind=AccountKind.STAFF,
                roles=frozenset({Role.ADMIN}),
                password_hash=self.passwords.hash(password),
                now=now,
                name="Administrator",
            )
            try:
                uow.users.add(user)
            except AlreadyExists:
                return None  # another instance starting at the same time made it
            uow.commit()
            return user

    # --- grants -----------------------------------------------------------------------------

    def password_grant(self, username: str, password: str, scope: str | None) -> IssuedTokens:
        failed = invalid_grant("the username or password is wrong")
        try:
            email = normalize_email(username)
        except ValidationFailed:
            raise failed from None
        with self.uow_factory() as uow:
            user = uow.users.find_by_email(email)
            if user is None:
                # the same work as for a known account: the answer time reveals nothing
                self.passwords.verify(self._unknown_account_hash(), password)
                raise failed
            if not self.passwords.verify(user.password_hash, password) or user.disabled:
                raise failed
            now = self.clock()
            if self.passwords.needs_rehash(user.password_hash):
                user.change_password_hash(self.passwords.hash(password), now=now)
            user.logged_in(now=now)
            uow.users.save(user)
            scopes = _requested(scope, user.allowed_scopes)
            refresh = self._new_refresh_token(user, scopes, family_id=self.new_id(), now=now)
            uow.refresh_tokens.add(refresh[0])
            access = self._sign_for_user(uow, user, scopes, now)
            uow.commit()
        return self._issued(access, scopes, refresh[1])

    def refresh_grant(self, refresh_token: str, scope: str | None) -> IssuedTokens:
        with self.uow_factory() as uow:
            now = self.clock()
            stored = uow.refresh_tokens.find_by_hash(hash_token(refresh_token))
            if stored is None:
                raise invalid_grant("the refresh token is not valid")
            if stored.revoked_at is not None:
                # a replaced token presented again: whoever holds the family lost control of it
                uow.refresh_tokens.revoke_family(stored.family_id, now=now)
                uow.commit()
                raise invalid_grant("the refresh token is not valid")
            if not stored.usable(now):
                raise invalid_grant("the refresh token has expired")
            user = uow.users.get(stored.user_id)
            if user is None or user.disabled:
                raise invalid_grant("the account is disabled")
            # never more than first granted, nor more than the roles give today
            scopes = _requested(scope, stored.scopes) & user.allowed_scopes
            successor, token = self._new_refresh_token(
                user, scopes, family_id=stored.family_id, now=now
            )
            if not uow.refresh_tokens.replace(stored, successor, now=now):
                uow.refresh_tokens.revoke_family(stored.family_id, now=now)
                uow.commit()
                raise invalid_grant("the refresh token is not valid")
            access = self._sign_for_user(uow, user, scopes, now)
            uow.commit()
        return self._issued(access, scopes, token)

    def client_credentials_grant(
        self, client_id: str, client_secret: str, scope: str | None
    ) -> IssuedTokens:
        try:
            client_uuid = UUID(client_id)
        except ValueError:
            client_uuid = None
        with self.uow_factory() as uow:
            client = uow.clients.get(client_uuid) if client_uuid is not None else None
            if client is None:
                self.passwords.verify(self._unknown_account_hash(), client_secret)
                raise invalid_client()
            if not self.passwords.verify(client.secret_hash, client_secret) or not client.active:
                raise invalid_client()
            scopes = _requested(scope, client.scopes)
            now = self.clock()
            claims = self._claims(
                subject=client.client_id, kind="service", roles=[], scopes=scopes, now=now
            )
            access = self.vault.sign(_signing_key(uow), claims)
            uow.commit()
        return self._issued(access, scopes, None)

    def revoke(self, token: str) -> None:
        """RFC 7009: a refresh token is revoked with its whole family (every token that came
        from the same login); anything else is ignored, as the RFC asks. Access tokens are not
        stored: they stay valid until they expire, which is why they live only minutes."""
        with self.uow_factory() as uow:
            stored = uow.refresh_tokens.find_by_hash(hash_token(token))
            if stored is None:
                return
            uow.refresh_tokens.revoke_family(stored.family_id, now=self.clock())
            uow.commit()

    def service_token(self, scopes: frozenset[Scope]) -> str:
        """A short-lived token of its own, for identity's calls to the services."""
        now = self.clock()
        claims = self._claims(
            subject=REGISTRATION_CLIENT_ID,
            kind="service",
            roles=[],
            scopes=scopes,
            now=now,
            ttl=self.settings.service_token_ttl,
        )
        with self.uow_factory() as uow:
            return self.vault.sign(_signing_key(uow), claims)

    # --- keys -------------------------------------------------------------------------------

    def published_keys(self) -> list[SigningKey]:
        now = self.clock()
        with self.uow_factory() as uow:
            return [key for key in uow.signing_keys.all() if key.is_published(now)]

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.vault.public_jwk(key) for key in self.published_keys()]}

    def verify(self, token: str) -> dict[str, Any]:
        """The claims of an access token identity signed; Unauthenticated otherwise."""
        return self.vault.verify(
            token,
            self.published_keys(),
            audience=self.settings.audience,
            issuer=self.settings.issuer,
        )

    def rotate_keys(self) -> SigningKey:
        """A new key signs from now on; the previous ones stay in the JWKS until the tokens
        they signed have expired."""
        with self.uow_factory() as uow:
            now = self.clock()
            for key in uow.signing_keys.all():
                if key.active:
                    key.retire(now=now, longest_token_life=self.settings.longest_access_token_life)
                    uow.signing_keys.save(key)
            new_key = self.vault.generate(now=now)
            uow.signing_keys.add(new_key)
            uow.commit()
            return new_key

    def list_keys(self) -> list[SigningKey]:
        with self.uow_factory() as uow:
            return uow.signing_keys.all()

    # --- accounts ---------------------------------------------------------------------------

    def create_user(
        self,
        *,
        email: str,
        password: str,
        kind: AccountKind,
        roles: frozenset[Role],
        name: str | None = None,
        partner_id: str | None = None,
    ) -> User:
        """Staff and partner accounts; customers register themselves."""
        if kind is AccountKind.CUSTOMER:
            raise ValidationFailed(
                FieldViolation("kind", "customer logins come from self-registration")
            )
        check_password_policy(password)
        user = User.open(
            user_id=self.new_id(),
            email=email,
            kind=kind,
            roles=roles,
            password_hash=self.passwords.hash(password),
            now=self.clock(),
            name=name,
            partner_id=partner_id,
        )
        with self.uow_factory() as uow:
            uow.users.add(user)
            uow.commit()
        return user

    def get_user(self, user_id: UUID) -> User:
        with self.uow_factory() as uow:
            return _load_user(uow, user_id)

    def list_users(self, kind: AccountKind | None, page_size: int, page_token: str) -> Page:
        size = paging.page_size(page_size, field="page_size")
        key = paging.decode_token(page_token, field="page_token")
        after = str(key[0]) if key else None
        with self.uow_factory() as uow:
            users = uow.users.list_page(kind, after, size + 1)
        more = len(users) > size
        users = users[:size]
        return Page(users, paging.encode_token([users[-1].email]) if more else "")

    def update_user(
        self,
        user_id: UUID,
        *,
        roles: frozenset[Role] | None = None,
        disabled: bool | None = None,
        name: str | None = None,
        rename: bool = False,
        actor_id: str | None = None,
    ) -> User:
        with self.uow_factory() as uow:
            now = self.clock()
            uow.users.lock_admins()
            user = _load_user(uow, user_id)
            was_admin = user.is_active_admin
            if roles is not None:
                user.change_roles(roles, now=now)
            if rename:
                user.rename(name, now=now)
            if disabled is True and not user.disabled:
                if actor_id == str(user.id):
                    raise PermissionDenied("an admin cannot disable their own account")
                user.disable(now=now)
                uow.refresh_tokens.revoke_for_user(user.id, now=now)
            elif disabled is False and user.disabled:
                user.enable(now=now)
            if was_admin and not user.is_active_admin and uow.users.count_active_admins() <= 1:
                raise FailedPrecondition("this is the last active admin")
            uow.users.save(user)
            uow.commit()
            return user

    # --- machine clients --------------------------------------------------------------------

    def create_client(self, name: str, scopes: frozenset[Scope]) -> NewClient:
        if not scopes:
            raise ValidationFailed(FieldViolation("scopes", "give at least one scope"))
        secret = secrets.token_urlsafe(32)
        client = MachineClient(
            id=self.new_id(),
            name=name,
            secret_hash=self.passwords.hash(secret),
            scopes=scopes,
            created_at=self.clock(),
        )
        with self.uow_factory() as uow:
            uow.clients.add(client)
            uow.commit()
        return NewClient(client, secret)

    def list_clients(self) -> list[MachineClient]:
        with self.uow_factory() as uow:
            return uow.clients.all()

    def revoke_client(self, client_id: UUID) -> MachineClient:
        """Its tokens stop being issued now; those already issued expire within minutes."""
        with self.uow_factory() as uow:
            client = uow.clients.get(client_id)
            if client is None:
                raise NotFound(f"no machine client {client_id}")
            client.revoke(now=self.clock())
            uow.clients.save(client)
            uow.commit()
            return client

    # --- customer self-registration ---------------------------------------------------------

    def register_customer(
        self, password: str, profile: ProfileFields, customers: CustomerDirectory
    ) -> Registration:
        """A customer record in the customer service, then a login linked to it.

        Blacklisted contacts cannot register (PermissionDenied); a contact that belongs to a
        customer already, or an email with a login, is a duplicate (AlreadyExists, without
        saying whose). The customer is created with an idempotency key made from the email, so
        a registration retried after a failure links the record the first attempt made.
        """
        check_password_policy(password)
        email = normalize_email(profile.email)
        with self.uow_factory() as uow:
            if uow.users.find_by_email(email) is not None:
                raise AlreadyExists("an account with this email exists already", existing_id="")
        password_hash = self.passwords.hash(password)
        token = self.service_token(REGISTRATION_SCOPES)
        if customers.is_blacklisted(email, profile.phone, token=token):
            raise PermissionDenied("this email or phone cannot register; contact us instead")
        key = "portal-registration:" + hashlib.sha256(email.encode()).hexdigest()
        customer = customers.create(profile, idempotency_key=key, token=token)
        user = User.open(
            user_id=self.new_id(),
            email=email,
            kind=AccountKind.CUSTOMER,
            roles=frozenset({Role.CUSTOMER}),
            password_hash=password_hash,
            now=self.clock(),
            name=profile.name,
            customer_id=UUID(customer.id),
        )
        with self.uow_factory() as uow:
            uow.users.add(user)
            uow.commit()
        return Registration(user, customer)

    # --- helpers ----------------------------------------------------------------------------

    def _unknown_account_hash(self) -> str:
        if self._dummy_hash is None:
            self._dummy_hash = self.passwords.hash(secrets.token_urlsafe(16))
        return self._dummy_hash

    def _new_refresh_token(
        self, user: User, scopes: frozenset[Scope], *, family_id: UUID, now: datetime
    ) -> tuple[RefreshToken, str]:
        token = secrets.token_urlsafe(32)
        stored = RefreshToken(
            id=self.new_id(),
            family_id=family_id,
            user_id=user.id,
            token_hash=hash_token(token),
            scopes=scopes,
            created_at=now,
            expires_at=now + self.settings.refresh_token_ttl,
        )
        return stored, token

    def _sign_for_user(
        self, uow: UnitOfWork, user: User, scopes: frozenset[Scope], now: datetime
    ) -> str:
        claims = self._claims(
            subject=str(user.id),
            kind=user.kind.value,
            roles=sorted(user.roles),
            scopes=scopes,
            now=now,
        )
        if user.customer_id is not None:
            claims["customer_id"] = str(user.customer_id)
        if user.partner_id is not None:
            claims["partner_id"] = user.partner_id
        return self.vault.sign(_signing_key(uow), claims)

    def _claims(
        self,
        *,
        subject: str,
        kind: str,
        roles: list[str],
        scopes: frozenset[Scope],
        now: datetime,
        ttl: timedelta | None = None,
    ) -> dict[str, Any]:
        issued_at = int(now.timestamp())
        lifetime = ttl or self.settings.access_token_ttl
        return {
            "iss": self.settings.issuer,
            "aud": self.settings.audience,
            "sub": subject,
            "iat": issued_at,
            "exp": issued_at + int(lifetime.total_seconds()),
            "jti": str(uuid4()),
            "kind": kind,
            "roles": roles,
            "scope": format_scopes(scopes),
        }

    def _issued(
        self, access_token: str, scopes: frozenset[Scope], refresh_token: str | None
    ) -> IssuedTokens:
        return IssuedTokens(
            access_token=access_token,
            expires_in=int(self.settings.access_token_ttl.total_seconds()),
            scope=format_scopes(scopes),
            refresh_token=refresh_token,
        )


def _requested(scope: str | None, allowed: frozenset[Scope]) -> frozenset[Scope]:
    """The scopes asked for (all allowed ones when none are named); invalid_scope for any
    unknown or not allowed."""
    if scope is None or not scope.strip():
        return allowed
    try:
        requested = parse_scopes(scope)
    except ValidationFailed as exc:
        raise OAuthError("invalid_scope", str(exc)) from None
    beyond = requested - allowed
    if beyond:
        raise OAuthError("invalid_scope", f"not granted: {format_scopes(beyond)}")
    return requested


def _active_key(keys: list[SigningKey]) -> SigningKey | None:
    return next((key for key in keys if key.active), None)  # newest first


def _signing_key(uow: UnitOfWork) -> SigningKey:
    key = _active_key(uow.signing_keys.all())
    if key is None:
        raise FailedPrecondition("no signing key: identity has not finished starting")
    return key


def _load_user(uow: UnitOfWork, user_id: UUID) -> User:
    user = uow.users.get(user_id)
    if user is None:
        raise NotFound(f"no user {user_id}")
    return user
