"""Identity's gRPC server on a migrated database (PostgreSQL and SQLite), in a thread; the
customer service behind registration is the in-memory directory."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from crm_identity import bootstrap
from crm_identity.config import MIGRATIONS_DIR, IdentitySettings
from crm_platform.migrations import upgrade
from crm_platform.readiness import Readiness
from crm_platform.testing.processes import free_port, role_in_thread

from tests.identity.unit.fakes import FakeDirectory, fast_passwords

ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "bootstrap admin password"


@dataclass(frozen=True)
class RunningIdentity:
    target: str
    identity: bootstrap.Identity
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
    identity = bootstrap.open_identity(settings, passwords=fast_passwords(), pool_size=4)
    bootstrap.prepare(identity.service, settings)
    directory = FakeDirectory()
    server = bootstrap.api_server(identity, settings, directory, Readiness({}), host="127.0.0.1")
    try:
        with role_in_thread(functools.partial(server.run, grace=1.0)):
            yield RunningIdentity(f"127.0.0.1:{server.port}", identity, directory)
    finally:
        identity.close()
