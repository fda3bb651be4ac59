"""Identity's gRPC server on a migrated database (PostgreSQL and SQLite), in a thread; the
customer service behind registration is the in-memory directory."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from crm_identity import bootstrap
from crm_identity.adapters.keys import PublishedKeys
from crm_identity.adapters.unit_of_work import SqlUnitOfWork
from crm_identity.config import MIGRATIONS_DIR, SERVICE_NAME, IdentitySettings
from crm_identity.entrypoints import grpc_api
from crm_identity.entrypoints.authorization import policy
from crm_identity.service_layer.handlers import IdentityService
from crm_platform import privacy
from crm_platform.auth import TokenVerifier
from crm_platform.db import build_engine
from crm_platform.migrations import upgrade
from crm_platform.service import unit_of_work_factory
from crm_platform.testing.grpc_servers import serving
from crm_platform.testing.processes import free_port

from tests.identity.unit.fakes import FakeDirectory, fast_passwords

ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "bootstrap admin password"


@dataclass(frozen=True)
class RunningIdentity:
    target: str
    service: IdentityService
    directory: FakeDirectory


def identity_settings(database_url: str) -> IdentitySettings:
    return IdentitySettings(
        service="identity",
        database_url=database_url,
        port=free_port(),
        metrics_port=0,
        bootstrap_admin_email=ADMIN_EMAIL,
        bootstrap_admin_password=ADMIN_PASSWORD,
        key_encryption_key="a passphrase for the tests",
    )


@pytest.fixture
def settings(database_url: str) -> IdentitySettings:
    upgrade(MIGRATIONS_DIR, database_url)
    return identity_settings(database_url)


@pytest.fixture
def running_identity(settings: IdentitySettings) -> Iterator[RunningIdentity]:
    """The api role as the declaration wires it, with a fast hasher and the fake directory."""
    engine = build_engine(settings.database_url, pool_size=4)
    unit_of_work = unit_of_work_factory(SqlUnitOfWork, engine, SERVICE_NAME)
    service = bootstrap.identity_service(settings, unit_of_work, passwords=fast_passwords())
    bootstrap.prepare(service, settings)
    directory = FakeDirectory()
    verifier = TokenVerifier(
        PublishedKeys(service.published_keys),
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
    )
    bindings = [
        grpc_api.binding(service, directory),
        privacy.binding(SERVICE_NAME, unit_of_work, privacy.collect_records),
    ]
    try:
        with serving(bindings, policy(), verifier=verifier, port=settings.port) as target:
            yield RunningIdentity(target, service, directory)
    finally:
        engine.dispose()
