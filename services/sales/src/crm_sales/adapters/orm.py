"""The sales database's tables (SQLAlchemy Core). Migrations create them; this module only
describes them, for the repositories and for Alembic's comparisons.

An order is one row: the columns it is found and listed by, and the rest of the aggregate
(proposal, terms, signatures, milestones, history) as a JSON document beside them, written
whole at every change under the version check.
"""

from __future__ import annotations

import sqlalchemy as sa
from crm_platform.db import UtcDateTime

metadata = sa.MetaData()

orders = sa.Table(
    "orders",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("customer_id", sa.Uuid(), nullable=False),
    sa.Column("owner_id", sa.String(100)),
    sa.Column("partner_id", sa.Uuid()),  # the partner the order is outsourced to
    sa.Column("state", sa.String(30), nullable=False),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("document", sa.JSON(), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    # a customer's orders, newest first
    sa.Index("ix_orders_customer_created", "customer_id", "created_at", "id"),
    # a rep's pipeline, and every order newest first
    sa.Index("ix_orders_owner_created", "owner_id", "created_at", "id"),
    sa.Index("ix_orders_created", "created_at", "id"),
    sa.Index("ix_orders_partner_created", "partner_id", "created_at", "id"),
)

# A retried PlaceOrder with the same key answers the order the first one made.
idempotency_keys = sa.Table(
    "idempotency_keys",
    metadata,
    sa.Column("key", sa.String(300), primary_key=True),
    sa.Column("order_id", sa.Uuid(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
)

# -- teams: who works with whom (visibility), and how leads are assigned -------------------------

# A team's rule and pipeline settings are its document; its members are rows, to be found by
# member.
teams = sa.Table(
    "teams",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("name", sa.String(100), nullable=False, unique=True),
    sa.Column("document", sa.JSON(), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)

team_members = sa.Table(
    "team_members",
    metadata,
    sa.Column("team_id", sa.Uuid(), sa.ForeignKey("teams.id"), primary_key=True),
    sa.Column("user_id", sa.String(100), primary_key=True),
    sa.Column("is_manager", sa.Boolean(), nullable=False),
    sa.Column("monthly_capacity", sa.Integer(), nullable=False),
    sa.Column("active", sa.Boolean(), nullable=False),
    sa.Index("ix_team_members_user", "user_id"),
)
