"""Customers assigned to a partner: the partner's users read them (docs/decisions/0006).

`customers.partner_id` is nullable (most customers have no partner) and has no foreign key:
partners live in the partner service. A partner user's list pages by (created_at, id) among
the live customers of their partner; this index answers each page by reading just its rows.

Revision ID: 0003
Revises: 0002
Create Date: 2025-03-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = sa.text("merged_into_id IS NULL")


def upgrade() -> None:
    op.add_column("customers", sa.Column("partner_id", sa.Uuid()))
    op.create_index(
        "ix_customers_live_partner_created",
        "customers",
        ["partner_id", "created_at", "id"],
        postgresql_where=LIVE,
        sqlite_where=LIVE,
    )


def downgrade() -> None:
    op.drop_index("ix_customers_live_partner_created", table_name="customers")
    # A plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+): a batch copy of the table would lose
    # the expression indexes on lower(region), which SQLite cannot reflect.
    op.drop_column("customers", "partner_id")
