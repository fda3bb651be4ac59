"""Leads: captured, scored, assigned and converted.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from crm_platform.db import UtcDateTime

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "leads",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("owner_id", sa.String(100)),
        sa.Column("team_id", sa.Uuid()),
        sa.Column("customer_id", sa.Uuid()),
        sa.Column("email_key", sa.String(254), nullable=False),
        sa.Column("phone_key", sa.String(40), nullable=False),
        sa.Column("capture_id", sa.Uuid(), unique=True),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_leads_created", "leads", ["created_at", "id"])
    op.create_index("ix_leads_owner_created", "leads", ["owner_id", "created_at", "id"])
    op.create_index("ix_leads_team_created", "leads", ["team_id", "created_at", "id"])
    op.create_index("ix_leads_email", "leads", ["email_key"])
    op.create_index("ix_leads_phone", "leads", ["phone_key"])
    op.create_index("ix_leads_customer", "leads", ["customer_id"])
    op.create_table(
        "lead_assignments",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("lead_id", sa.Uuid(), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.String(100), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("reason", sa.String(20), nullable=False),
        sa.Column("assigned_at", UtcDateTime(), nullable=False),
    )
    op.create_index(
        "ix_lead_assignments_team_month", "lead_assignments", ["team_id", "month", "owner_id"]
    )
    op.create_table(
        "assignment_cursors",
        sa.Column("team_id", sa.Uuid(), sa.ForeignKey("teams.id"), primary_key=True),
        sa.Column("last_user_id", sa.String(100)),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_table(
        "win_models",
        sa.Column("scope", sa.String(40), primary_key=True),
        sa.Column("team_id", sa.Uuid()),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("win_models")
    op.drop_table("assignment_cursors")
    op.drop_table("lead_assignments")
    op.drop_table("leads")
