"""Erasures (privacy): one per customer erased, with each service's confirmation.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from crm_platform.db import UtcDateTime

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "erasures",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("customer_id", sa.Uuid(), sa.ForeignKey("customers.id"), nullable=False),
        sa.Column("requested_at", UtcDateTime(), nullable=False),
        sa.Column("actor_subject", sa.String(200), nullable=False),
        sa.Column("actor_kind", sa.String(20), nullable=False),
        sa.Column("services", sa.JSON(), nullable=False),
        sa.UniqueConstraint("customer_id", name="uq_erasures_customer"),
    )
    op.create_table(
        "erasure_confirmations",
        sa.Column(
            "erasure_id",
            sa.Uuid(),
            sa.ForeignKey("erasures.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("service", sa.String(100), primary_key=True),
        sa.Column("confirmed_at", UtcDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("erasure_confirmations")
    op.drop_table("erasures")
