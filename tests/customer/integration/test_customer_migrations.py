"""The migrations build exactly the schema the ORM describes, and the latest one can be undone
and done again (PostgreSQL and SQLite)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic import command
from crm_customer.adapters.orm import metadata
from crm_customer.config import MIGRATIONS_DIR
from crm_platform.db import build_engine
from crm_platform.migrations import alembic_config, schema_differences, upgrade

pytestmark = [
    pytest.mark.integration,
    # SQLite cannot reflect the indexes on lower(region): compared on PostgreSQL only
    pytest.mark.filterwarnings("ignore:.*expression-based index"),
]


def differences(database_url: str) -> list[object]:
    return schema_differences(database_url, metadata)


def customer_columns(database_url: str) -> set[str]:
    engine = build_engine(database_url, pool_size=1)
    try:
        return {column["name"] for column in sa.inspect(engine).get_columns("customers")}
    finally:
        engine.dispose()


def customer_indexes(database_url: str) -> set[str]:
    """Every index on customers, also those on expressions (which reflection may skip)."""
    engine = build_engine(database_url, pool_size=1)
    query = (
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'customers'"
        if engine.dialect.name == "sqlite"
        else "SELECT indexname FROM pg_indexes WHERE tablename = 'customers'"
    )
    try:
        with engine.connect() as connection:
            return {str(name) for name in connection.execute(sa.text(query)).scalars()}
    finally:
        engine.dispose()


def test_the_duplicate_lookup_indexes_can_be_undone_and_redone(database_url: str) -> None:
    upgrade(MIGRATIONS_DIR, database_url)
    indexes = customer_indexes(database_url)

    command.downgrade(alembic_config(MIGRATIONS_DIR, database_url), "0004")
    undone = customer_indexes(database_url)
    upgrade(MIGRATIONS_DIR, database_url)

    assert indexes - undone == {"ix_customers_live_name_created", "ix_customers_live_city_created"}
    assert customer_indexes(database_url) == indexes


def test_the_migrated_schema_is_the_orms(database_url: str) -> None:
    upgrade(MIGRATIONS_DIR, database_url)

    assert differences(database_url) == []


def test_the_partner_assignment_migration_can_be_undone_and_redone(database_url: str) -> None:
    upgrade(MIGRATIONS_DIR, database_url)
    config = alembic_config(MIGRATIONS_DIR, database_url)
    indexes = customer_indexes(database_url)

    command.downgrade(config, "0002")
    assert "partner_id" not in customer_columns(database_url)
    # 0003 and the revisions after it are undone: the partner's index and the review's
    assert customer_indexes(database_url) == indexes - {
        "ix_customers_live_partner_created",
        "ix_customers_live_name_created",
        "ix_customers_live_city_created",
    }
    upgrade(MIGRATIONS_DIR, database_url)

    assert "partner_id" in customer_columns(database_url)
    assert customer_indexes(database_url) == indexes
    assert differences(database_url) == []
