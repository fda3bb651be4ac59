"""The chassis' own tables, present in every service database: the outbox and the inbox.

Each service's Alembic environment includes `platform_metadata`, and its first migration
creates these tables with `create_platform_tables`.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from crm_platform.db import UtcDateTime

OUTBOX_PENDING_WHERE = sa.text("published_at IS NULL")


def _outbox_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("event_id", sa.String(36), nullable=False, unique=True),
        sa.Column("event_type", sa.String(200), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),  # serialized CloudEvent
        sa.Column("correlation_id", sa.String(64)),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("published_at", UtcDateTime()),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("next_attempt_at", UtcDateTime()),
        sa.Column("last_error", sa.Text()),
    ]


def _inbox_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("consumer", sa.String(100), primary_key=True),
        sa.Column("event_id", sa.String(36), primary_key=True),
        sa.Column("event_type", sa.String(200), nullable=False),
        sa.Column("received_at", UtcDateTime(), nullable=False),
    ]


platform_metadata = sa.MetaData()

# Events waiting to be published, written in the same transaction as the change they describe.
outbox = sa.Table(
    "outbox",
    platform_metadata,
    *_outbox_columns(),
    sa.Index(
        "ix_outbox_pending",
        "seq",
        postgresql_where=OUTBOX_PENDING_WHERE,
        sqlite_where=OUTBOX_PENDING_WHERE,
    ),
)

# Events a consumer has applied: written in the handler's transaction, so a redelivered event
# finds its row and is skipped.
inbox = sa.Table("inbox", platform_metadata, *_inbox_columns())


def create_platform_tables(op: Any) -> None:
    """Create the outbox and inbox in a service's first migration (Alembic `op`)."""
    op.create_table("outbox", *_outbox_columns())
    op.create_index(
        "ix_outbox_pending",
        "outbox",
        ["seq"],
        postgresql_where=OUTBOX_PENDING_WHERE,
        sqlite_where=OUTBOX_PENDING_WHERE,
    )
    op.create_table("inbox", *_inbox_columns())


def drop_platform_tables(op: Any) -> None:
    op.drop_table("inbox")
    op.drop_index("ix_outbox_pending", table_name="outbox")
    op.drop_table("outbox")
