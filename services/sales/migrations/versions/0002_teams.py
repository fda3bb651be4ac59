"""Sales teams and their members; the partner an order is outsourced to.

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
        "teams",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "team_members",
        sa.Column("team_id", sa.Uuid(), sa.ForeignKey("teams.id"), primary_key=True),
        sa.Column("user_id", sa.String(100), primary_key=True),
        sa.Column("is_manager", sa.Boolean(), nullable=False),
        sa.Column("monthly_capacity", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_team_members_user", "team_members", ["user_id"])
    with op.batch_alter_table("orders") as orders:
        orders.add_column(sa.Column("partner_id", sa.Uuid()))
    op.create_index("ix_orders_partner_created", "orders", ["partner_id", "created_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_orders_partner_created", "orders")
    with op.batch_alter_table("orders") as orders:
        orders.drop_column("partner_id")
    op.drop_table("team_members")
    op.drop_table("teams")
