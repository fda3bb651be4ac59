"""Mail to case: a message's Message-ID and unknown-sender flag, and the attachments mail
brings.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("case_messages") as batch:
        batch.add_column(
            sa.Column("unknown_sender", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("mail_id", sa.String(998), nullable=False, server_default=""))
    with op.batch_alter_table("case_messages") as batch:
        batch.alter_column("unknown_sender", server_default=None)
        batch.alter_column("mail_id", server_default=None)
    op.create_index("ix_case_messages_mail_id", "case_messages", ["mail_id"])
    op.create_table(
        "case_attachments",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("message_id", sa.Uuid(), sa.ForeignKey("case_messages.id"), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("content_type", sa.String(255), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
    )
    op.create_index("ix_case_attachments_message", "case_attachments", ["message_id"])


def downgrade() -> None:
    op.drop_table("case_attachments")
    op.drop_index("ix_case_messages_mail_id", "case_messages")
    with op.batch_alter_table("case_messages") as batch:
        batch.drop_column("mail_id")
        batch.drop_column("unknown_sender")
