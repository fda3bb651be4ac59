"""Customer files uploaded for import, run as jobs by the importer role: each job's file, its
progress (the line read up to, with its batches) and its lease, and the rows it rejected.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from crm_platform.db import UtcDateTime

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNFINISHED = sa.text("status <> 'done'")


def upgrade() -> None:
    op.create_table(
        "customer_imports",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("file_name", sa.String(200), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("actor_subject", sa.String(200), nullable=False),
        sa.Column("actor_kind", sa.String(20), nullable=False),
        sa.Column("correlation_id", sa.String(200), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("accepted", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("last_line", sa.Integer(), nullable=False),
        sa.Column("claim", sa.Uuid()),
        sa.Column("lease_until", UtcDateTime()),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("finished_at", UtcDateTime()),
    )
    op.create_index(
        "ix_customer_imports_unfinished",
        "customer_imports",
        ["created_at"],
        postgresql_where=UNFINISHED,
        sqlite_where=UNFINISHED,
    )
    op.create_table(
        "customer_import_rejections",
        sa.Column(
            "import_id",
            sa.Uuid(),
            sa.ForeignKey("customer_imports.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("line", sa.Integer(), primary_key=True),
        sa.Column("reason", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("customer_import_rejections")
    op.drop_index("ix_customer_imports_unfinished", table_name="customer_imports")
    op.drop_table("customer_imports")
