"""Campaigns, their recipients and the addresses that bounced for good.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04
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
        "campaigns",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_campaigns_created", "campaigns", ["created_at", "id"])
    op.create_table(
        "campaign_recipients",
        sa.Column("campaign_id", sa.Uuid(), primary_key=True),
        sa.Column("customer_id", sa.Uuid(), primary_key=True),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("skip_reason", sa.String(30)),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UtcDateTime()),
        sa.Column("claimed_at", UtcDateTime()),
        sa.Column("message_id", sa.String(200), nullable=False),
        sa.Column("last_error", sa.String(500), nullable=False),
        sa.Column("sent_at", UtcDateTime()),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )
    op.create_index(
        "ix_campaign_recipients_due", "campaign_recipients", ["status", "next_attempt_at"]
    )
    op.create_table(
        "invalid_addresses",
        sa.Column("email", sa.String(254), primary_key=True),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("marked_at", UtcDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("invalid_addresses")
    op.drop_table("campaign_recipients")
    op.drop_table("campaigns")
