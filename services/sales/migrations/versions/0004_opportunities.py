"""Opportunities: deals through the pipeline's stages, their contacts and competitors.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from crm_platform.db import UtcDateTime

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEXES = {
    "ix_opportunities_created": ["created_at", "id"],
    "ix_opportunities_owner_created": ["owner_id", "created_at", "id"],
    "ix_opportunities_customer_created": ["customer_id", "created_at", "id"],
    "ix_opportunities_partner_created": ["partner_id", "created_at", "id"],
    "ix_opportunities_team_stage": ["team_id", "stage"],
    "ix_opportunities_stage_close": ["stage", "expected_close"],
}


def upgrade() -> None:
    op.create_table(
        "opportunities",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("owner_id", sa.String(100)),
        sa.Column("team_id", sa.Uuid()),
        sa.Column("partner_id", sa.Uuid()),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("lead_id", sa.Uuid()),
        sa.Column("stage", sa.String(30), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("amount", sa.Numeric(18, 2)),
        sa.Column("currency", sa.String(3)),
        sa.Column("amount_cents", sa.BigInteger()),
        sa.Column("probability_bp", sa.Integer(), nullable=False),
        sa.Column("expected_close", sa.Date()),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("closed_at", UtcDateTime()),
    )
    for name, columns in _INDEXES.items():
        op.create_index(name, "opportunities", columns)


def downgrade() -> None:
    for name in _INDEXES:
        op.drop_index(name, "opportunities")
    op.drop_table("opportunities")
