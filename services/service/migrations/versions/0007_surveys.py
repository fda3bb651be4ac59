"""The satisfaction survey of each resolved case.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-11
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from crm_platform.db import UtcDateTime

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "surveys",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("case_id", sa.Uuid(), sa.ForeignKey("cases.id"), nullable=False, unique=True),
        sa.Column("case_reference", sa.String(20), nullable=False),
        sa.Column("case_subject", sa.String(200), nullable=False),
        sa.Column("customer_id", sa.Uuid()),
        sa.Column("agent_id", sa.String(100)),
        sa.Column("team_id", sa.Uuid()),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("answered_at", UtcDateTime()),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_index("ix_surveys_answered", "surveys", ["answered_at"])


def downgrade() -> None:
    op.drop_table("surveys")
