from __future__ import annotations

import pytest
from crm_portal.adapters.backends import Backends
from crm_portal.entrypoints.http.app import create_app
from flask import Flask
from flask.testing import FlaskClient

from tests.portal.unit.fakes import FakeAnalytics, FakeCustomers


@pytest.fixture
def customers() -> FakeCustomers:
    return FakeCustomers()


@pytest.fixture
def analytics() -> FakeAnalytics:
    return FakeAnalytics()


@pytest.fixture
def app(customers: FakeCustomers, analytics: FakeAnalytics) -> Flask:
    return create_app(Backends(customers=customers, analytics=analytics))


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
