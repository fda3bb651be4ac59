"""The one place that wires the identity service together. Nothing is built at import time.

`prepare` runs once per start, before the API serves: the first signing key (and a check that
the stored one can be read with the configured key-encryption key) and the bootstrap admin.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import timedelta

from crm_platform.auth import TokenVerifier, grpc_authenticator
from crm_platform.db import build_engine, ping, session_factory
from crm_platform.grpc_server import GrpcServer
from crm_platform.readiness import Readiness
from crm_platform.runner import ServiceApp
from sqlalchemy import Engine

from crm_identity.adapters.customer_directory import GrpcCustomerDirectory
from crm_identity.adapters.keys import Ed25519Vault, PublishedKeys
from crm_identity.adapters.passwords import Argon2Passwords
from crm_identity.adapters.unit_of_work import SqlUnitOfWork
from crm_identity.config import SERVICE_NAME, IdentitySettings
from crm_identity.entrypoints import grpc_api
from crm_identity.entrypoints.authorization import policy
from crm_identity.service_layer.handlers import CLOCK_SKEW, IdentityService, TokenSettings
from crm_identity.service_layer.ports import CustomerDirectory

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Identity:
    service: IdentityService
    engine: Engine

    def close(self) -> None:
        self.engine.dispose()


def open_identity(
    settings: IdentitySettings,
    *,
    passwords: Argon2Passwords | None = None,
    pool_size: int = 10,
) -> Identity:
    engine = build_engine(settings.database_url, pool_size=pool_size)
    sessions = session_factory(engine)
    service = IdentityService(
        lambda: SqlUnitOfWork(sessions),
        passwords or Argon2Passwords(concurrency=settings.hashing_concurrency),
        Ed25519Vault(settings.key_encryption_key, leeway=CLOCK_SKEW),
        TokenSettings(
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            access_token_ttl=timedelta(seconds=settings.access_token_ttl),
            refresh_token_ttl=timedelta(seconds=settings.refresh_token_ttl),
        ),
    )
    return Identity(service, engine)


def prepare(identity: IdentityService, settings: IdentitySettings) -> None:
    """A signing key on the first start (and a check that the stored one can be read), and
    the bootstrap admin while there is no admin."""
    key = identity.ensure_signing_key()
    identity.service_token(frozenset())  # fails now, not at the first login, on a wrong KEK
    if not settings.key_encryption_key:
        log.warning(
            "%s: CRM_IDENTITY_KEY_ENCRYPTION_KEY is unset: new signing keys are stored "
            "unencrypted in the identity database",
            SERVICE_NAME,
        )
    log.info("%s: signing with key %s", SERVICE_NAME, key.kid)
    if settings.bootstrap_admin_email and settings.bootstrap_admin_password:
        admin = identity.bootstrap_admin(
            settings.bootstrap_admin_email, settings.bootstrap_admin_password
        )
        if admin is not None:
            log.info("%s: created the bootstrap admin %s", SERVICE_NAME, admin.email)


def api_server(
    identity: Identity,
    settings: IdentitySettings,
    customers: CustomerDirectory,
    readiness: Readiness,
    *,
    host: str = "[::]",
) -> GrpcServer:
    # identity checks tokens with the keys it signs them with, read from its database
    verifier = TokenVerifier(
        PublishedKeys(identity.service.published_keys),
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
    )
    return GrpcServer(
        [grpc_api.binding(identity.service, customers)],
        port=settings.port,
        readiness=readiness,
        authenticate=grpc_authenticator(verifier),
        policy=policy(),
        host=host,
    )


def build_app(settings: IdentitySettings) -> ServiceApp:
    identity = open_identity(settings)
    readiness = Readiness({"database": lambda: ping(identity.engine)})

    def serve_api(stop: threading.Event) -> None:
        prepare(identity.service, settings)
        customers = GrpcCustomerDirectory.connect(settings.grpc_targets["customer"])
        api_server(identity, settings, customers, readiness).run(stop)

    return ServiceApp(
        settings=settings,
        roles={"api": serve_api},
        readiness=readiness,
        on_stop=[identity.close],
    )
