"""The migrations build exactly the schema the ORM and the chassis describe (PostgreSQL and
SQLite)."""

from __future__ import annotations

import pytest
from crm_platform.migrations import schema_differences, upgrade
from crm_service.adapters.orm import metadata
from crm_service.config import MIGRATIONS_DIR

pytestmark = pytest.mark.integration


def test_the_migrated_schema_is_the_orms(database_url: str) -> None:
    upgrade(MIGRATIONS_DIR, database_url)

    assert schema_differences(database_url, metadata) == []
