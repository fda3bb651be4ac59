"""The outbox and inbox, and the customer facts read model.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from crm_platform.db import UtcDateTime
from crm_platform.tables import create_platform_tables, drop_platform_tables

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COUNTED_WHERE = sa.text("registered_at IS NOT NULL AND merged_into IS NULL")
MERGED_WHERE = sa.text("merged_into IS NOT NULL")
COUNTED_INDEXES = {
    "ix_customer_facts_counted_region": "region",
    "ix_customer_facts_counted_gender": "gender",
    "ix_customer_facts_counted_birth_date": "birth_date",
    "ix_customer_facts_counted_source": "acquisition_source",
    "ix_customer_facts_counted_blacklisted": "blacklisted",
}


def upgrade() -> None:
    create_platform_tables(op)
    op.create_table(
        "customer_facts",
        sa.Column("customer_id", sa.String(36), primary_key=True),
        sa.Column("region", sa.String(200)),
        sa.Column("city", sa.String(200)),
        sa.Column("gender", sa.String(20)),
        sa.Column("birth_date", sa.Date()),
        sa.Column("acquisition_source", sa.String(40)),
        sa.Column("registered_at", UtcDateTime()),
        sa.Column("blacklisted", sa.Boolean(), nullable=False),
        sa.Column("merged_into", sa.String(36)),
        sa.Column("snapshot_version", sa.BigInteger(), nullable=False),
        sa.Column("blacklist_version", sa.BigInteger(), nullable=False),
        sa.Column("merge_version", sa.BigInteger(), nullable=False),
        sa.Column("last_event_at", UtcDateTime(), nullable=False),
    )
    for name, column in COUNTED_INDEXES.items():
        op.create_index(
            name,
            "customer_facts",
            [column],
            postgresql_where=COUNTED_WHERE,
            sqlite_where=COUNTED_WHERE,
        )
    op.create_index(
        "ix_customer_facts_merged_into",
        "customer_facts",
        ["merged_into"],
        postgresql_where=MERGED_WHERE,
        sqlite_where=MERGED_WHERE,
    )
    op.create_index("ix_customer_facts_last_event_at", "customer_facts", ["last_event_at"])


def downgrade() -> None:
    op.drop_table("customer_facts")
    drop_platform_tables(op)
