"""The filtered list's keyset index: live customers of a region in (created_at, id) order.

`GET /api/v1/customers?region=...` pages by (created_at, id) among live customers of one
region. With only lower(region) the database sorts every customer of the region for each page;
with only (created_at, id) it walks past the other regions. This index answers each page by
reading just its rows.

Revision ID: 0002
Revises: 0001
Create Date: 2025-02-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = sa.text("merged_into_id IS NULL")


def upgrade() -> None:
    op.create_index(
        "ix_customers_live_region_created",
        "customers",
        [sa.text("lower(region)"), "created_at", "id"],
        postgresql_where=LIVE,
        sqlite_where=LIVE,
    )


def downgrade() -> None:
    op.drop_index("ix_customers_live_region_created", table_name="customers")
