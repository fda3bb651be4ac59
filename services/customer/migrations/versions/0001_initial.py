"""Initial customer schema.

Customers with their tags and consents, interactions, idempotency keys, and the chassis'
outbox and inbox.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
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

LIVE = sa.text("merged_into_id IS NULL")


def upgrade() -> None:
    create_platform_tables(op)
    op.create_table(
        "customers",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(254)),
        sa.Column("phone", sa.String(32)),
        sa.Column("region", sa.String(100)),
        sa.Column("city", sa.String(100)),
        sa.Column("birth_date", sa.Date()),
        sa.Column("gender", sa.String(20)),
        sa.Column("preferences", sa.JSON(), nullable=False),
        sa.Column("acquisition_source", sa.String(20)),
        sa.Column("owner_id", sa.Uuid()),
        sa.Column("blacklisted", sa.Boolean(), nullable=False),
        sa.Column("blacklist_reason", sa.String(500)),
        sa.Column("merged_into_id", sa.Uuid(), sa.ForeignKey("customers.id")),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )
    op.create_index(
        "ux_customers_live_email",
        "customers",
        ["email"],
        unique=True,
        postgresql_where=LIVE,
        sqlite_where=LIVE,
    )
    op.create_index(
        "ux_customers_live_phone",
        "customers",
        ["phone"],
        unique=True,
        postgresql_where=LIVE,
        sqlite_where=LIVE,
    )
    op.create_index("ix_customers_email", "customers", ["email"])
    op.create_index("ix_customers_phone", "customers", ["phone"])
    op.create_index(
        "ix_customers_live_created",
        "customers",
        ["created_at", "id"],
        postgresql_where=LIVE,
        sqlite_where=LIVE,
    )
    op.create_index("ix_customers_region", "customers", [sa.text("lower(region)")])
    op.create_index("ix_customers_source", "customers", ["acquisition_source"])

    op.create_table(
        "customer_tags",
        sa.Column(
            "customer_id",
            sa.Uuid(),
            sa.ForeignKey("customers.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("tag", sa.String(50), primary_key=True),
    )
    op.create_index("ix_customer_tags_tag", "customer_tags", ["tag", "customer_id"])

    op.create_table(
        "customer_consents",
        sa.Column(
            "customer_id",
            sa.Uuid(),
            sa.ForeignKey("customers.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("channel", sa.String(10), primary_key=True),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )

    op.create_table(
        "interactions",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column(
            "customer_id",
            sa.Uuid(),
            sa.ForeignKey("customers.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("occurred_at", UtcDateTime(), nullable=False),
        sa.Column("actor_subject", sa.String(200), nullable=False),
        sa.Column("actor_kind", sa.String(20), nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
    )
    op.create_index(
        "ix_interactions_timeline",
        "interactions",
        ["customer_id", sa.text("occurred_at DESC"), sa.text("id DESC")],
    )

    op.create_table(
        "idempotency_keys",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("idempotency_keys")
    op.drop_index("ix_interactions_timeline", table_name="interactions")
    op.drop_table("interactions")
    op.drop_table("customer_consents")
    op.drop_index("ix_customer_tags_tag", table_name="customer_tags")
    op.drop_table("customer_tags")
    for index in (
        "ix_customers_source",
        "ix_customers_region",
        "ix_customers_live_created",
        "ix_customers_phone",
        "ix_customers_email",
        "ux_customers_live_phone",
        "ux_customers_live_email",
    ):
        op.drop_index(index, table_name="customers")
    op.drop_table("customers")
    drop_platform_tables(op)
