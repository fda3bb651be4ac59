"""The migrations build exactly the schema the ORM and the chassis describe (PostgreSQL and
SQLite), but for the knowledge base's search index, which each dialect builds its own way
(adapters/article_search.py) and the ORM leaves out."""

from __future__ import annotations

import pytest
from crm_platform.migrations import schema_differences, upgrade
from crm_service.adapters.orm import metadata
from crm_service.config import MIGRATIONS_DIR

pytestmark = pytest.mark.integration


def test_the_migrated_schema_is_the_orms(database_url: str) -> None:
    upgrade(MIGRATIONS_DIR, database_url)

    assert [
        difference
        for difference in schema_differences(database_url, metadata)
        if not _of_search_index(difference)
    ] == []


def _of_search_index(difference: object) -> bool:
    # ("remove_table", Table) or ("remove_index", Index): the index's table, or FTS5's own
    # tables behind it (article_search_data, ..._idx, ...)
    if not isinstance(difference, tuple) or len(difference) < 2:
        return False
    item = difference[1]
    table = getattr(item, "table", item)
    return str(getattr(table, "name", "")).startswith("article_search")
