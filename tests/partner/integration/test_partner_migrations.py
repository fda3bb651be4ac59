"""The migrations build exactly the schema the ORM and the chassis describe (PostgreSQL and
SQLite)."""

from __future__ import annotations

from crm_partner.adapters.orm import metadata
from crm_partner.config import MIGRATIONS_DIR
from crm_platform.migrations import schema_differences, upgrade


def test_the_migrated_schema_is_the_orms(database_url: str) -> None:
    upgrade(MIGRATIONS_DIR, database_url)

    assert schema_differences(database_url, metadata) == []
