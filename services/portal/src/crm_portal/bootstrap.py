"""The one place that wires the portal: backends and identity from the configuration, then
the app.

`build_app` runs in each server worker, after it forks, so every process opens its own gRPC
channels and database pool. `prepare_identity` runs once per start, in the master, before
any worker: the first signing key and the bootstrap admin.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from crm_platform.auth import TokenVerifier
from crm_platform.db import build_engine, session_factory
from flask import Flask
from sqlalchemy import Engine

from crm_portal.adapters.grpc_clients import connect
from crm_portal.adapters.keys import Ed25519Vault, PublishedKeys
from crm_portal.adapters.passwords import Argon2Passwords
from crm_portal.adapters.unit_of_work import SqlUnitOfWork
from crm_portal.config import IdentityConfig, PortalConfig
from crm_portal.entrypoints.http import auth, identity_routes
from crm_portal.entrypoints.http.app import create_app
from crm_portal.service_layer.identity import CLOCK_SKEW, IdentityService, TokenSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Identity:
    service: IdentityService
    engine: Engine

    def close(self) -> None:
        self.engine.dispose()


def token_settings(config: IdentityConfig) -> TokenSettings:
    return TokenSettings(
        issuer=config.issuer,
        audience=config.audience,
        access_token_ttl=config.access_token_ttl,
        refresh_token_ttl=config.refresh_token_ttl,
    )


def open_identity(
    config: IdentityConfig,
    database_url: str,
    *,
    passwords: Argon2Passwords | None = None,
    pool_size: int = 10,
) -> Identity:
    engine = build_engine(database_url, pool_size=pool_size)
    sessions = session_factory(engine)
    service = IdentityService(
        lambda: SqlUnitOfWork(sessions),
        passwords or Argon2Passwords(),
        Ed25519Vault(config.key_encryption_key, leeway=CLOCK_SKEW),
        token_settings(config),
    )
    return Identity(service, engine)


def prepare_identity(identity: IdentityService, config: IdentityConfig) -> None:
    """A signing key on the first start (and a check that the stored one can be read), and
    the bootstrap admin while there is no admin."""
    key = identity.ensure_signing_key()
    identity.service_token(frozenset())  # fails now, not at the first login, on a wrong KEK
    if not config.key_encryption_key:
        log.warning(
            "portal: CRM_PORTAL_KEY_ENCRYPTION_KEY is unset: new signing keys are stored "
            "unencrypted in the portal database"
        )
    log.info("portal: signing with key %s", key.kid)
    if config.bootstrap_admin_email and config.bootstrap_admin_password:
        admin = identity.bootstrap_admin(
            config.bootstrap_admin_email, config.bootstrap_admin_password
        )
        if admin is not None:
            log.info("portal: created the bootstrap admin %s", admin.email)


def attach_identity(app: Flask, identity: IdentityService, config: IdentityConfig) -> None:
    """Identity routes get their service, and the gateway verifies tokens with the keys it
    signs them with."""
    identity_routes.provide(app, identity, config.limits)
    verifier = TokenVerifier(
        PublishedKeys(identity.published_keys),
        issuer=config.issuer,
        audience=config.audience,
    )
    auth.use_verifier(app, verifier)


def build_app(config: PortalConfig) -> Flask:
    backends = connect(config.customer_target, config.analytics_target)
    identity = open_identity(config.identity, config.database_url)
    app = create_app(backends, rate_limit=config.rate_limit, redis_url=config.redis_url)
    attach_identity(app, identity.service, config.identity)
    return app
