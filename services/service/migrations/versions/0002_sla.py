"""SLA: service agreements, each case's clocks, and on the case its pauses and escalation.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04
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
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("sla_pauses", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("escalated_to", sa.String(100)))
    with op.batch_alter_table("cases") as batch:
        batch.alter_column("sla_pauses", server_default=None)
    op.create_table(
        "agreements",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("order_ref", sa.String(100), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("targets", sa.JSON(), nullable=False),
        sa.Column("calendar", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.UniqueConstraint("customer_id", "order_ref", name="uq_agreements_customer_order"),
    )
    op.create_index("ix_agreements_created", "agreements", ["created_at", "id"])
    op.create_table(
        "sla_clocks",
        sa.Column("case_id", sa.Uuid(), sa.ForeignKey("cases.id"), primary_key=True),
        sa.Column("kind", sa.String(20), primary_key=True),
        sa.Column("target_minutes", sa.Integer(), nullable=False),
        sa.Column("calendar", sa.JSON(), nullable=False),
        sa.Column("agreement_id", sa.Uuid()),
        sa.Column("warned_at", UtcDateTime()),
        sa.Column("breached_at", UtcDateTime()),
    )
    op.create_index("ix_sla_clocks_open", "sla_clocks", ["breached_at"])


def downgrade() -> None:
    op.drop_table("sla_clocks")
    op.drop_table("agreements")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("escalated_to")
        batch.drop_column("sla_pauses")
