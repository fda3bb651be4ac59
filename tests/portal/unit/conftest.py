from __future__ import annotations

import pytest
from crm_platform.testing.tokens import admin_token
from crm_portal.adapters.backends import Backends
from crm_portal.entrypoints.http.app import create_app
from flask import Flask
from flask.testing import FlaskClient

from tests.portal.unit.fakes import FakeAnalytics, FakeCustomers, verifying


@pytest.fixture
def customers() -> FakeCustomers:
    return FakeCustomers()


@pytest.fixture
def analytics() -> FakeAnalytics:
    return FakeAnalytics()


@pytest.fixture
def app(customers: FakeCustomers, analytics: FakeAnalytics) -> Flask:
    return verifying(create_app(Backends({"customer": customers, "analytics": analytics})))


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """Calls as the test admin unless a request names its own Authorization."""
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {admin_token()}"
    return client


@pytest.fixture
def anonymous(app: Flask) -> FlaskClient:
    """Calls without a token."""
    return app.test_client()
