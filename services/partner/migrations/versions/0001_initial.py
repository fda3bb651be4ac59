"""Initial partner schema: partners, assignments and their offers, deal registrations, joint
campaigns, and the chassis' outbox and inbox.

Revision ID: 0001
Revises:
Create Date: 2026-12-10
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

OPEN = sa.text("state IN ('offered', 'accepted')")


def upgrade() -> None:
    create_platform_tables(op)
    op.create_table(
        "partners",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("skills", sa.Text(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_partners_created", "partners", ["created_at", "id"])
    op.create_table(
        "assignments",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("work_kind", sa.String(20), nullable=False),
        sa.Column("work_id", sa.Uuid(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("partner_id", sa.Uuid()),
        sa.Column("deadline", UtcDateTime()),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )
    op.create_index(
        "ux_assignments_open_work", "assignments", ["work_kind", "work_id"], unique=True,
        postgresql_where=OPEN, sqlite_where=OPEN,
    )  # fmt: skip
    op.create_index("ix_assignments_work", "assignments", ["work_id"])
    op.create_index("ix_assignments_due", "assignments", ["state", "deadline"])
    op.create_index("ix_assignments_partner_state", "assignments", ["partner_id", "state"])
    op.create_index("ix_assignments_created", "assignments", ["created_at", "id"])
    op.create_table(
        "assignment_offers",
        sa.Column("assignment_id", sa.Uuid(), sa.ForeignKey("assignments.id"), primary_key=True),
        sa.Column("partner_id", sa.Uuid(), primary_key=True),
    )
    op.create_index("ix_assignment_offers_partner", "assignment_offers", ["partner_id"])
    op.create_table(
        "deal_registrations",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("partner_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("opportunity_id", sa.Uuid()),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )
    op.create_index(
        "ix_deal_registrations_customer", "deal_registrations", ["customer_id", "state"]
    )
    op.create_index(
        "ix_deal_registrations_opportunity", "deal_registrations", ["opportunity_id", "state"]
    )
    op.create_index(
        "ix_deal_registrations_partner_created",
        "deal_registrations",
        ["partner_id", "created_at", "id"],
    )
    op.create_index("ix_deal_registrations_created", "deal_registrations", ["created_at", "id"])
    op.create_table(
        "joint_campaigns",
        sa.Column("campaign_id", sa.Uuid(), primary_key=True),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("joint_campaigns")
    op.drop_table("deal_registrations")
    op.drop_table("assignment_offers")
    op.drop_table("assignments")
    op.drop_table("partners")
    drop_platform_tables(op)
