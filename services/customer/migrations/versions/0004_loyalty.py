"""Loyalty: an account per customer and its ledger of points.

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


def upgrade() -> None:
    op.create_table(
        "loyalty_accounts",
        sa.Column("customer_id", sa.Uuid(), sa.ForeignKey("customers.id"), primary_key=True),
        sa.Column("balance", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "loyalty_entries",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column(
            "customer_id",
            sa.Uuid(),
            sa.ForeignKey("loyalty_accounts.customer_id"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("balance", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Uuid()),
        sa.Column("occurred_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime()),
        sa.Column("remaining", sa.Integer(), nullable=False),
    )
    op.create_index(
        "ix_loyalty_entries_ledger", "loyalty_entries", ["customer_id", "occurred_at", "id"]
    )
    op.create_index("ix_loyalty_entries_order", "loyalty_entries", ["customer_id", "order_id"])
    with_order = sa.text("order_id IS NOT NULL")
    op.create_index(
        "ux_loyalty_entries_order_kind",
        "loyalty_entries",
        ["customer_id", "order_id", "kind"],
        unique=True,
        postgresql_where=with_order,
        sqlite_where=with_order,
    )
    open_lots = sa.text("remaining > 0")
    op.create_index(
        "ix_loyalty_entries_open_lots",
        "loyalty_entries",
        ["expires_at"],
        postgresql_where=open_lots,
        sqlite_where=open_lots,
    )


def downgrade() -> None:
    op.drop_table("loyalty_entries")
    op.drop_table("loyalty_accounts")
