"""The portal's configuration: the chassis settings (CRM_PORTAL_*, CRM_*_GRPC_TARGET) plus
the HTTP server's own knobs and the login limits. Read once at start-up; bad values fail fast.
The portal has no database: accounts, tokens and keys are identity's."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from crm_platform.settings import ConfigurationError, ServiceSettings
from limits import parse_many

SERVICE_NAME = "portal"
MAX_BODY_BYTES = 1024 * 1024
# flask-limiter expressions such as "5/minute;30/hour"
LIMIT_VARIABLES = (
    "CRM_PORTAL_LOGIN_LIMIT_PER_ADDRESS",
    "CRM_PORTAL_LOGIN_LIMIT_PER_USERNAME",
    "CRM_PORTAL_REGISTRATION_LIMIT",
)


@dataclass(frozen=True)
class PortalConfig:
    settings: ServiceSettings
    workers: int = 2
    threads: int = 8
    graceful_timeout: int = 30  # seconds a worker may take to finish its requests on SIGTERM
    # the login and registration limits set (LIMIT_VARIABLES); the others keep their defaults
    login_limits: Mapping[str, str] = field(default_factory=dict)
    # the API's rate limit per caller (CRM_PORTAL_RATE_LIMIT, a flask-limiter expression)
    rate_limit: str = "600/minute"
    # Redis for rate limit counts and Idempotency-Keys shared by all workers (CRM_REDIS_URL);
    # None: each worker keeps its own in memory (development only)
    redis_url: str | None = None

    @property
    def customer_target(self) -> str:
        return self.settings.grpc_targets["customer"]

    @property
    def analytics_target(self) -> str:
        return self.settings.grpc_targets["analytics"]

    @property
    def identity_target(self) -> str:
        return self.settings.grpc_targets["identity"]

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> PortalConfig:
        env = os.environ if environ is None else environ
        settings = ServiceSettings.from_env(SERVICE_NAME, env)
        return cls(
            settings=settings,
            workers=_positive_int(env, "CRM_PORTAL_WORKERS", 2),
            threads=_positive_int(env, "CRM_PORTAL_THREADS", 8),
            graceful_timeout=_positive_int(env, "CRM_PORTAL_GRACEFUL_TIMEOUT", 30),
            login_limits=_login_limits(env),
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


def _login_limits(env: Mapping[str, str]) -> dict[str, str]:
    limits: dict[str, str] = {}
    for name in LIMIT_VARIABLES:
        value = env.get(name)
        if value:
            limits[name] = _rate_limit(env, name, value)
    return limits


def _redis_url(env: Mapping[str, str]) -> str | None:
    value = env.get("CRM_REDIS_URL") or None
    if value is not None and not value.startswith(("redis://", "rediss://", "unix://")):
        raise _bad("CRM_REDIS_URL: must start with redis://, rediss:// or unix://")
    return value
