"""The possible-duplicates review reads the newest live customers of the same name and of the
same city (case-insensitive): one index each, so a review reads its candidates and nothing else
at any number of customers.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = sa.text("merged_into_id IS NULL")


def upgrade() -> None:
    for column in ("name", "city"):
        op.create_index(
            f"ix_customers_live_{column}_created",
            "customers",
            [sa.text(f"lower({column})"), "created_at", "id"],
            postgresql_where=LIVE,
            sqlite_where=LIVE,
        )


def downgrade() -> None:
    for column in ("name", "city"):
        op.drop_index(f"ix_customers_live_{column}_created", table_name="customers")
