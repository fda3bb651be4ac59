"""The gateway with identity on a migrated database (PostgreSQL and SQLite), through Flask's
test client; the backends behind it are fakes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from crm_platform.migrations import upgrade
from crm_portal.adapters.backends import Backends
from crm_portal.bootstrap import Identity, attach_identity, open_identity, prepare_identity
from crm_portal.config import MIGRATIONS_DIR, IdentityConfig
from crm_portal.entrypoints.http.app import create_app
from flask import Flask
from flask.testing import FlaskClient

from tests.portal.unit.fakes import FakeAnalytics, FakeCustomers
from tests.portal.unit.identity_fakes import fast_passwords

ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "bootstrap admin password"
LIMITS = {
    "CRM_PORTAL_LOGIN_LIMIT_PER_USERNAME": "3/minute",
    "CRM_PORTAL_LOGIN_LIMIT_PER_ADDRESS": "8/minute",
}


def identity_config(**changes: Any) -> IdentityConfig:
    values: dict[str, Any] = {
        "bootstrap_admin_email": ADMIN_EMAIL,
        "bootstrap_admin_password": ADMIN_PASSWORD,
        "key_encryption_key": "a passphrase for the tests",
        "limits": LIMITS,
    }
    return IdentityConfig(**(values | changes))


@pytest.fixture
def migrated_url(database_url: str) -> str:
    upgrade(MIGRATIONS_DIR, database_url)
    return database_url


@pytest.fixture
def open_portal_identity(migrated_url: str) -> Iterator[Callable[..., Identity]]:
    opened: list[Identity] = []

    def open_(config: IdentityConfig | None = None) -> Identity:
        identity = open_identity(
            config or identity_config(), migrated_url, passwords=fast_passwords(), pool_size=4
        )
        opened.append(identity)
        return identity

    yield open_
    for identity in opened:
        identity.close()


@pytest.fixture
def customers() -> FakeCustomers:
    return FakeCustomers()


@pytest.fixture
def app(open_portal_identity: Callable[..., Identity], customers: FakeCustomers) -> Flask:
    config = identity_config()
    identity = open_portal_identity(config)
    prepare_identity(identity.service, config)
    app = create_app(Backends(customers=customers, analytics=FakeAnalytics()))
    attach_identity(app, identity.service, config)
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
