"""RFM scores, value tiers, churn risk and lifetime value per customer, and the quintile
boundaries and fitted models of the last full refresh.

Revision ID: 0004
Revises: 0003
Create Date: 2027-01-10
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
        "customer_rfm",
        sa.Column("customer_id", sa.String(36), primary_key=True),
        sa.Column("recency_days", sa.Integer()),
        sa.Column("frequency", sa.Integer(), nullable=False),
        sa.Column("monetary_cents", sa.BigInteger(), nullable=False),
        sa.Column("r", sa.SmallInteger(), nullable=False),
        sa.Column("f", sa.SmallInteger(), nullable=False),
        sa.Column("m", sa.SmallInteger(), nullable=False),
        sa.Column("segment", sa.String(30), nullable=False),
        sa.Column("value_tier", sa.String(20), nullable=False),
        sa.Column("churn_risk", sa.String(20), nullable=False),
        sa.Column("clv_cents", sa.BigInteger(), nullable=False),
        sa.Column("predicted_clv_cents", sa.BigInteger()),
        sa.Column("p_alive", sa.Float()),
        sa.Column("scored_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_customer_rfm_segment", "customer_rfm", ["segment"])
    op.create_table(
        "value_measures",
        sa.Column("name", sa.String(20), primary_key=True),
        sa.Column("boundaries", sa.JSON(), nullable=False),
        sa.Column("model", sa.JSON()),
        sa.Column("measured_at", UtcDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("value_measures")
    op.drop_index("ix_customer_rfm_segment", table_name="customer_rfm")
    op.drop_table("customer_rfm")
