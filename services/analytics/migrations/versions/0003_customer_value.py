"""Orders, payments and interactions from sales' and customer's events, summed per customer.

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
        "orders",
        sa.Column("order_id", sa.String(36), primary_key=True),
        sa.Column("customer_id", sa.String(36), nullable=False),
        sa.Column("state", sa.String(30), nullable=False),
        sa.Column("amount", sa.String(40)),
        sa.Column("currency", sa.String(3)),
        sa.Column("placed_at", UtcDateTime(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_orders_customer_id", "orders", ["customer_id"])
    op.create_table(
        "payments",
        sa.Column("order_id", sa.String(36), primary_key=True),
        sa.Column("number", sa.Integer(), primary_key=True),
        sa.Column("customer_id", sa.String(36), nullable=False),
        sa.Column("amount", sa.String(40), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("paid_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_payments_customer_id", "payments", ["customer_id"])
    op.create_table(
        "interactions",
        sa.Column("interaction_id", sa.String(36), primary_key=True),
        sa.Column("customer_id", sa.String(36), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("occurred_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_interactions_customer_id", "interactions", ["customer_id"])
    op.create_table(
        "customer_value",
        sa.Column("customer_id", sa.String(36), primary_key=True),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.Column("first_order_at", UtcDateTime()),
        sa.Column("last_order_at", UtcDateTime()),
        sa.Column("paid", sa.JSON(), nullable=False),
        sa.Column("paid_cents", sa.BigInteger(), nullable=False),
        sa.Column("interactions", sa.Integer(), nullable=False),
        sa.Column("last_interaction_at", UtcDateTime()),
    )


def downgrade() -> None:
    for table in ("customer_value", "interactions", "payments", "orders"):
        op.drop_table(table)
