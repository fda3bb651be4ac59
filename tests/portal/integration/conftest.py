"""The gateway's identity routes through Flask's test client, calling a real identity gRPC
server on a migrated database (PostgreSQL and SQLite), with the gateway's own copy of its
public keys refreshed in the background."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from crm_platform.auth import RemoteKeys
from crm_platform.testing.processes import wait_until
from crm_portal.adapters.grpc_clients import connect
from crm_portal.bootstrap import attach_identity
from crm_portal.config import SERVICE_NAME, PortalSettings
from crm_portal.entrypoints.http.app import create_app
from crm_portal.entrypoints.http.routes import READS
from flask import Flask
from flask.testing import FlaskClient

from tests.identity.integration.conftest import (  # noqa: F401 - fixtures used here
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    RunningIdentity,
    running_identity,
    settings,
)

LIMITS = {
    "CRM_PORTAL_LOGIN_LIMIT_PER_USERNAME": "3/minute",
    "CRM_PORTAL_LOGIN_LIMIT_PER_ADDRESS": "8/minute",
}
KEYS_MAX_AGE = 0.2  # seconds: a rotation reaches the gateway quickly


@pytest.fixture
def gateway_keys(running_identity: RunningIdentity) -> Iterator[RemoteKeys]:  # noqa: F811
    keys = RemoteKeys.from_identity(running_identity.target, max_age=KEYS_MAX_AGE).start()
    wait_until(lambda: keys.document() is not None, timeout=10, what="the gateway's keys")
    yield keys
    keys.stop()


@pytest.fixture
def app(running_identity: RunningIdentity, gateway_keys: RemoteKeys) -> Flask:  # noqa: F811
    backends = connect({"identity": running_identity.target}, READS)
    app = create_app(backends)
    attach_identity(app, gateway_keys, PortalSettings.from_env(SERVICE_NAME, LIMITS))
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
