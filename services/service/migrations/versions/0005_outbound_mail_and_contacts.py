"""Mail the service sends (replies and surveys, queued with their change) and the customers'
contact details copied from the customer service's events.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-11
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from crm_platform.db import UtcDateTime

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outbound_mail",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("case_id", sa.Uuid(), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("recipient", sa.String(254), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("mail_id", sa.String(998), nullable=False),
        sa.Column("in_reply_to", sa.String(998), nullable=False),
        sa.Column("mail_references", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UtcDateTime(), nullable=False),
        sa.Column("claimed_at", UtcDateTime()),
        sa.Column("sent_at", UtcDateTime()),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_outbound_mail_status_due", "outbound_mail", ["status", "next_attempt_at"])
    op.create_index("ix_outbound_mail_case", "outbound_mail", ["case_id"])
    op.create_table(
        "customer_contacts",
        sa.Column("customer_id", sa.Uuid(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("phone", sa.String(40), nullable=False),
        sa.Column("birth_date", sa.Date()),
        sa.Column("owner_id", sa.String(100)),
        sa.Column("customer_since", UtcDateTime(), nullable=False),
        sa.Column("blacklisted", sa.Boolean(), nullable=False),
        sa.Column("merged_into_id", sa.Uuid()),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_index("ix_customer_contacts_email", "customer_contacts", ["email"])
    op.create_index("ix_customer_contacts_phone", "customer_contacts", ["phone"])


def downgrade() -> None:
    op.drop_table("customer_contacts")
    op.drop_table("outbound_mail")
