"""The portal's configuration: the chassis settings (CRM_PORTAL_*, CRM_*_GRPC_TARGET) plus
the HTTP server's own knobs and identity's. Read once at start-up; bad values fail fast."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from crm_platform.settings import ConfigurationError, ServiceSettings
from limits import parse_many

from crm_portal.domain.identity import PASSWORD_MIN_LENGTH

SERVICE_NAME = "portal"
MAX_BODY_BYTES = 1024 * 1024
# services/portal/migrations, beside src/ (the image keeps the same layout)
MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"
LIMIT_VARIABLES = (
    "CRM_PORTAL_LOGIN_LIMIT_PER_ADDRESS",
    "CRM_PORTAL_LOGIN_LIMIT_PER_USERNAME",
    "CRM_PORTAL_REGISTRATION_LIMIT",
)


@dataclass(frozen=True)
class IdentityConfig:
    """Tokens, keys, the first admin and the login limits.

    CRM_ACCESS_TOKEN_TTL (seconds, 900) and CRM_REFRESH_TOKEN_TTL (seconds, 30 days);
    CRM_JWT_ISSUER and CRM_JWT_AUDIENCE (the chassis settings); CRM_PORTAL_KEY_ENCRYPTION_KEY
    (a passphrase that encrypts the signing keys in the database; unset: stored in clear);
    CRM_BOOTSTRAP_ADMIN_EMAIL and CRM_BOOTSTRAP_ADMIN_PASSWORD (both or neither);
    CRM_PORTAL_LOGIN_LIMIT_PER_ADDRESS, CRM_PORTAL_LOGIN_LIMIT_PER_USERNAME and
    CRM_PORTAL_REGISTRATION_LIMIT (flask-limiter expressions such as "5/minute;30/hour").
    """

    issuer: str = "guanxi"
    audience: str = "guanxi-api"
    access_token_ttl: timedelta = timedelta(minutes=15)
    refresh_token_ttl: timedelta = timedelta(days=30)
    key_encryption_key: str | None = field(default=None, repr=False)
    bootstrap_admin_email: str | None = None
    bootstrap_admin_password: str | None = field(default=None, repr=False)
    limits: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, settings: ServiceSettings, env: Mapping[str, str]) -> IdentityConfig:
        email = env.get("CRM_BOOTSTRAP_ADMIN_EMAIL") or None
        password = env.get("CRM_BOOTSTRAP_ADMIN_PASSWORD") or None
        if (email is None) != (password is None):
            raise _bad(
                "CRM_BOOTSTRAP_ADMIN_EMAIL and CRM_BOOTSTRAP_ADMIN_PASSWORD: set both or neither"
            )
        if password is not None and len(password) < PASSWORD_MIN_LENGTH:
            raise _bad(
                f"CRM_BOOTSTRAP_ADMIN_PASSWORD: must be at least {PASSWORD_MIN_LENGTH} characters"
            )
        limits: dict[str, str] = {}
        for name in LIMIT_VARIABLES:
            value = env.get(name)
            if value:
                try:
                    parse_many(value)
                except ValueError:
                    raise _bad(f'{name}: not a rate limit such as "5/minute;30/hour"') from None
                limits[name] = value
        return cls(
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            access_token_ttl=timedelta(seconds=_positive_int(env, "CRM_ACCESS_TOKEN_TTL", 900)),
            refresh_token_ttl=timedelta(
                seconds=_positive_int(env, "CRM_REFRESH_TOKEN_TTL", 30 * 24 * 3600)
            ),
            key_encryption_key=env.get("CRM_PORTAL_KEY_ENCRYPTION_KEY") or None,
            bootstrap_admin_email=email,
            bootstrap_admin_password=password,
            limits=limits,
        )


@dataclass(frozen=True)
class PortalConfig:
    settings: ServiceSettings
    workers: int = 2
    threads: int = 8
    graceful_timeout: int = 30  # seconds a worker may take to finish its requests on SIGTERM
    identity: IdentityConfig = field(default_factory=IdentityConfig)
    # the API's rate limit per caller (CRM_PORTAL_RATE_LIMIT, a flask-limiter expression)
    rate_limit: str = "600/minute"
    # Redis for rate limit counts and Idempotency-Keys shared by all workers (CRM_REDIS_URL);
    # None: each worker keeps its own in memory (development only)
    redis_url: str | None = None

    @property
    def database_url(self) -> str:
        return self.settings.database_url

    @property
    def customer_target(self) -> str:
        return self.settings.grpc_targets["customer"]

    @property
    def analytics_target(self) -> str:
        return self.settings.grpc_targets["analytics"]

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> PortalConfig:
        env = os.environ if environ is None else environ
        settings = ServiceSettings.from_env(SERVICE_NAME, env)
        return cls(
            settings=settings,
            workers=_positive_int(env, "CRM_PORTAL_WORKERS", 2),
            threads=_positive_int(env, "CRM_PORTAL_THREADS", 8),
            graceful_timeout=_positive_int(env, "CRM_PORTAL_GRACEFUL_TIMEOUT", 30),
            identity=IdentityConfig.from_env(settings, env),
            rate_limit=_rate_limit(env, "CRM_PORTAL_RATE_LIMIT", "600/minute"),
            redis_url=_redis_url(env),
        )


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise _bad(f"{name}: must be an integer >= 1")
    return value


def _bad(problem: str) -> ConfigurationError:
    return ConfigurationError(f"{SERVICE_NAME}: bad configuration: {problem}")


def _rate_limit(env: Mapping[str, str], name: str, default: str) -> str:
    value = env.get(name) or default
    try:
        parse_many(value)
    except ValueError:
        raise _bad(
            f'{name}: not a rate limit such as "600/minute" or "20/second;5000/hour"'
        ) from None
    return value


def _redis_url(env: Mapping[str, str]) -> str | None:
    value = env.get("CRM_REDIS_URL") or None
    if value is not None and not value.startswith(("redis://", "rediss://", "unix://")):
        raise _bad("CRM_REDIS_URL: must start with redis://, rediss:// or unix://")
    return value
