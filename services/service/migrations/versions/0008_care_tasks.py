"""The care tasks of the daily care job: one per customer, occasion and year.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-11
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from crm_platform.db import UtcDateTime

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "care_tasks",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("customer_name", sa.String(200), nullable=False),
        sa.Column("owner_id", sa.String(100)),
        sa.Column("occasion", sa.String(20), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("years", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.UniqueConstraint("customer_id", "occasion", "year", name="uq_care_tasks_occasion_year"),
    )
    op.create_index("ix_care_tasks_owner_due", "care_tasks", ["owner_id", "due_on", "id"])


def downgrade() -> None:
    op.drop_table("care_tasks")
