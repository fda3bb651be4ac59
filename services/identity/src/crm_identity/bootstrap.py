"""The identity service's declaration: what the chassis wires together for it.

Unlike its siblings, identity verifies tokens with the keys it signs them with, read from its
own database (no call to its own GetPublicKeys), and the api role first makes sure there is a
signing key (and that the stored one can be read with the configured key-encryption key) and
the bootstrap admin.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

from crm_platform import privacy
from crm_platform.db import build_engine
from crm_platform.grpc_server import ServiceBinding
from crm_platform.service import Service, Wiring, unit_of_work_factory

from crm_identity.adapters.customer_directory import GrpcCustomerDirectory
from crm_identity.adapters.keys import Ed25519Vault, PublishedKeys
from crm_identity.adapters.passwords import Argon2Passwords
from crm_identity.adapters.unit_of_work import SqlUnitOfWork
from crm_identity.config import MIGRATIONS_DIR, SERVICE_NAME, IdentitySettings
from crm_identity.entrypoints import grpc_api
from crm_identity.entrypoints.admin_commands import clients_command, keys_command
from crm_identity.entrypoints.authorization import policy
from crm_identity.entrypoints.consumer import HANDLERS
from crm_identity.service_layer.handlers import CLOCK_SKEW, IdentityService, TokenSettings
from crm_identity.service_layer.ports import PasswordHasher

log = logging.getLogger(__name__)

IdentityWiring = Wiring[IdentitySettings, SqlUnitOfWork]


def identity_service(
    settings: IdentitySettings,
    unit_of_work: Callable[[], SqlUnitOfWork],
    *,
    passwords: PasswordHasher | None = None,
) -> IdentityService:
    return IdentityService(
        unit_of_work,
        passwords or Argon2Passwords(concurrency=settings.hashing_concurrency),
        Ed25519Vault(settings.key_encryption_key, leeway=CLOCK_SKEW),
        TokenSettings(
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            access_token_ttl=timedelta(seconds=settings.access_token_ttl),
            refresh_token_ttl=timedelta(seconds=settings.refresh_token_ttl),
        ),
    )


def prepare(service: IdentityService, settings: IdentitySettings) -> None:
    """A signing key on the first start (and a check that the stored one can be read), and
    the bootstrap admin while there is no admin."""
    key = service.ensure_signing_key()
    service.service_token(frozenset())  # fails now, not at the first login, on a wrong KEK
    if not settings.key_encryption_key:
        log.warning(
            "%s: CRM_IDENTITY_KEY_ENCRYPTION_KEY is unset: new signing keys are stored "
            "unencrypted in the identity database",
            SERVICE_NAME,
        )
    log.info("%s: signing with key %s", SERVICE_NAME, key.kid)
    if settings.bootstrap_admin_email and settings.bootstrap_admin_password:
        admin = service.bootstrap_admin(
            settings.bootstrap_admin_email, settings.bootstrap_admin_password
        )
        if admin is not None:
            log.info("%s: created the bootstrap admin %s", SERVICE_NAME, admin.email)


def _service(wiring: IdentityWiring) -> IdentityService:
    return identity_service(wiring.settings, wiring.unit_of_work)


def grpc_services(wiring: IdentityWiring) -> list[ServiceBinding]:
    customers = GrpcCustomerDirectory.connect(wiring.settings.grpc_targets["customer"])
    return [
        grpc_api.binding(_service(wiring), customers),
        privacy.binding(SERVICE_NAME, wiring.unit_of_work, privacy.collect_records),
    ]


def own_keys(wiring: IdentityWiring) -> PublishedKeys:
    return PublishedKeys(_service(wiring).published_keys)


@contextmanager
def opened(settings: IdentitySettings) -> Iterator[IdentityService]:
    """The service on its own engine, for a command."""
    engine = build_engine(settings.database_url, pool_size=1)
    try:
        yield identity_service(settings, unit_of_work_factory(SqlUnitOfWork, engine, SERVICE_NAME))
    finally:
        engine.dispose()


def with_service(
    command: Callable[[IdentityService, list[str]], int],
) -> Callable[[IdentitySettings, list[str]], int]:
    def run(settings: IdentitySettings, argv: list[str]) -> int:
        with opened(settings) as service:
            return command(service, argv)

    return run


SERVICE = Service(
    name=SERVICE_NAME,
    settings=IdentitySettings,
    migrations=MIGRATIONS_DIR,
    unit_of_work=SqlUnitOfWork,
    grpc=grpc_services,
    policy=policy(),
    consumer=HANDLERS,
    keys=own_keys,
    prepare=lambda wiring: prepare(_service(wiring), wiring.settings),
    commands={"clients": with_service(clients_command), "keys": with_service(keys_command)},
)
