"""Initial service schema: cases and their messages, routing (teams, agents, required skills,
cursors), and the chassis' outbox and inbox.

Revision ID: 0001
Revises:
Create Date: 2026-12-03
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


def upgrade() -> None:
    create_platform_tables(op)
    op.create_table(
        "cases",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("reference", sa.String(20), nullable=False, unique=True),
        sa.Column("type", sa.String(20), nullable=False),
        sa.Column("priority", sa.String(20), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("status", sa.String(30), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("product_ref", sa.String(100), nullable=False),
        sa.Column("order_ref", sa.String(100), nullable=False),
        sa.Column("customer_id", sa.Uuid()),
        sa.Column("recognition", sa.String(20), nullable=False),
        sa.Column("contact_email", sa.String(254), nullable=False),
        sa.Column("contact_phone", sa.String(40), nullable=False),
        sa.Column("owner_id", sa.String(100)),
        sa.Column("resolution", sa.Text(), nullable=False),
        sa.Column("reopen_count", sa.Integer(), nullable=False),
        sa.Column("first_response_at", UtcDateTime()),
        sa.Column("resolved_at", UtcDateTime()),
        sa.Column("closed_at", UtcDateTime()),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_cases_owner_created", "cases", ["owner_id", "created_at", "id"])
    op.create_index("ix_cases_created", "cases", ["created_at", "id"])
    op.create_index("ix_cases_customer_created", "cases", ["customer_id", "created_at", "id"])
    op.create_table(
        "case_messages",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("case_id", sa.Uuid(), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("author_id", sa.String(100), nullable=False),
        sa.Column("author_kind", sa.String(20), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("internal", sa.Boolean(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
    )
    op.create_index(
        "ix_case_messages_case_created", "case_messages", ["case_id", "created_at", "id"]
    )
    op.create_table(
        "teams",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("manager_id", sa.String(100)),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "agents",
        sa.Column("user_id", sa.String(100), primary_key=True),
        sa.Column("team_id", sa.Uuid(), sa.ForeignKey("teams.id")),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("available", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_agents_team", "agents", ["team_id"])
    op.create_table(
        "required_skills",
        sa.Column("case_type", sa.String(20), primary_key=True),
        sa.Column("skill", sa.String(50), nullable=False),
    )
    op.create_table(
        "routing_cursors",
        sa.Column("skill", sa.String(50), primary_key=True),
        sa.Column("last_user_id", sa.String(100)),
        sa.Column("version", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("routing_cursors")
    op.drop_table("required_skills")
    op.drop_table("agents")
    op.drop_table("teams")
    op.drop_table("case_messages")
    op.drop_table("cases")
    drop_platform_tables(op)
