"""Initial marketing schema: products, price lists, customer tiers, lead forms and their
submissions, and the chassis' outbox and inbox.

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
        "products",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("code", sa.String(64), nullable=False, unique=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("list_price", sa.Numeric(18, 2), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "price_lists",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_price_lists_currency", "price_lists", ["currency", "created_at"])
    op.create_index("ix_price_lists_created", "price_lists", ["created_at", "id"])
    op.create_table(
        "customer_tiers",
        sa.Column("customer_id", sa.Uuid(), primary_key=True),
        sa.Column("tier", sa.String(30), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "lead_forms",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("campaign_id", sa.Uuid()),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_lead_forms_created", "lead_forms", ["created_at", "id"])
    op.create_table(
        "form_submissions",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("form_id", sa.Uuid(), nullable=False),
        sa.Column("campaign_id", sa.Uuid()),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("captured_at", UtcDateTime(), nullable=False),
    )
    op.create_index(
        "ix_form_submissions_form_captured", "form_submissions", ["form_id", "captured_at", "id"]
    )


def downgrade() -> None:
    op.drop_table("form_submissions")
    op.drop_table("lead_forms")
    op.drop_table("customer_tiers")
    op.drop_table("price_lists")
    op.drop_table("products")
    drop_platform_tables(op)
