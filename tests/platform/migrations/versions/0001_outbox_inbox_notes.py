"""The chassis tables plus `notes`, which test handlers write in the event's transaction.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from crm_platform.tables import create_platform_tables, drop_platform_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_platform_tables(op)
    op.create_table(
        "notes",
        # not unique on the event: applying an event twice would show as two rows
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("notes")
    drop_platform_tables(op)
