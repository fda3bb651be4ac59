"""Rule segments and their members; the customers' tags and consents they test.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from crm_platform.db import UtcDateTime

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "customer_tags",
        sa.Column("customer_id", sa.String(36), primary_key=True),
        sa.Column("tag", sa.String(50), primary_key=True),
    )
    op.create_index("ix_customer_tags_tag", "customer_tags", ["tag"])
    op.create_table(
        "customer_consents",
        sa.Column("customer_id", sa.String(36), primary_key=True),
        sa.Column("channel", sa.String(20), primary_key=True),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "segments",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.String(2000), nullable=False),
        sa.Column("rule", sa.JSON(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_segments_created_at", "segments", ["created_at", "id"])
    op.create_table(
        "segment_members",
        sa.Column("segment_id", sa.String(36), primary_key=True),
        sa.Column("customer_id", sa.String(36), primary_key=True),
        sa.Column("member", sa.Boolean(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_segment_members_customer_id", "segment_members", ["customer_id"])


def downgrade() -> None:
    op.drop_table("segment_members")
    op.drop_table("segments")
    op.drop_table("customer_consents")
    op.drop_table("customer_tags")
