"""The read model's tables. Built only by the migrations in services/analytics/migrations."""

from __future__ import annotations

import sqlalchemy as sa
from crm_platform.db import UtcDateTime

metadata = sa.MetaData()

# Registered and not merged away: the customers the segments count. The partial indexes below
# carry the same predicate, so each GROUP BY reads one small index instead of the table.
COUNTED_WHERE = sa.text("registered_at IS NOT NULL AND merged_into IS NULL")
MERGED_WHERE = sa.text("merged_into IS NOT NULL")


def _counted_index(name: str, column: str) -> sa.Index:
    return sa.Index(name, column, postgresql_where=COUNTED_WHERE, sqlite_where=COUNTED_WHERE)


customer_facts = sa.Table(
    "customer_facts",
    metadata,
    sa.Column("customer_id", sa.String(36), primary_key=True),
    sa.Column("region", sa.String(200)),
    sa.Column("city", sa.String(200)),
    sa.Column("gender", sa.String(20)),
    sa.Column("birth_date", sa.Date()),
    sa.Column("acquisition_source", sa.String(40)),
    sa.Column("registered_at", UtcDateTime()),  # NULL until a snapshot of the customer arrives
    sa.Column("blacklisted", sa.Boolean(), nullable=False),
    sa.Column("merged_into", sa.String(36)),
    sa.Column("snapshot_version", sa.BigInteger(), nullable=False),
    sa.Column("blacklist_version", sa.BigInteger(), nullable=False),
    sa.Column("merge_version", sa.BigInteger(), nullable=False),
    sa.Column("last_event_at", UtcDateTime(), nullable=False),
    _counted_index("ix_customer_facts_counted_region", "region"),
    _counted_index("ix_customer_facts_counted_gender", "gender"),
    _counted_index("ix_customer_facts_counted_birth_date", "birth_date"),
    _counted_index("ix_customer_facts_counted_source", "acquisition_source"),
    _counted_index("ix_customer_facts_counted_blacklisted", "blacklisted"),
    sa.Index(
        "ix_customer_facts_merged_into",
        "merged_into",
        postgresql_where=MERGED_WHERE,
        sqlite_where=MERGED_WHERE,
    ),
    sa.Index("ix_customer_facts_last_event_at", "last_event_at"),
)
