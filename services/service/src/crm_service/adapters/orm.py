"""The service database's tables (SQLAlchemy Core). Migrations create them; this module only
describes them, for the repositories and for Alembic's comparisons."""

from __future__ import annotations

import sqlalchemy as sa
from crm_platform.db import UtcDateTime

metadata = sa.MetaData()

# -- cases and their conversation ---------------------------------------------------------------

cases = sa.Table(
    "cases",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("reference", sa.String(20), nullable=False, unique=True),
    sa.Column("type", sa.String(20), nullable=False),
    sa.Column("priority", sa.String(20), nullable=False),
    sa.Column("channel", sa.String(20), nullable=False),
    sa.Column("status", sa.String(30), nullable=False),
    sa.Column("subject", sa.String(200), nullable=False),
    sa.Column("description", sa.Text(), nullable=False),
    sa.Column("product_ref", sa.String(100), nullable=False),
    sa.Column("order_ref", sa.String(100), nullable=False),
    sa.Column("customer_id", sa.Uuid()),
    sa.Column("recognition", sa.String(20), nullable=False),
    sa.Column("contact_email", sa.String(254), nullable=False),
    sa.Column("contact_phone", sa.String(40), nullable=False),
    sa.Column("owner_id", sa.String(100)),
    sa.Column("resolution", sa.Text(), nullable=False),
    sa.Column("reopen_count", sa.Integer(), nullable=False),
    sa.Column("first_response_at", UtcDateTime()),
    sa.Column("resolved_at", UtcDateTime()),
    sa.Column("closed_at", UtcDateTime()),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    # an agent's queue, the unassigned queue (owner null) and every case, newest first
    sa.Index("ix_cases_owner_created", "owner_id", "created_at", "id"),
    sa.Index("ix_cases_created", "created_at", "id"),
    # a customer's own cases
    sa.Index("ix_cases_customer_created", "customer_id", "created_at", "id"),
)

# Written once, never changed: the replies and internal notes of a case, oldest first.
case_messages = sa.Table(
    "case_messages",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("case_id", sa.Uuid(), sa.ForeignKey("cases.id"), nullable=False),
    sa.Column("author_id", sa.String(100), nullable=False),
    sa.Column("author_kind", sa.String(20), nullable=False),
    sa.Column("body", sa.Text(), nullable=False),
    sa.Column("internal", sa.Boolean(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Index("ix_case_messages_case_created", "case_id", "created_at", "id"),
)

# -- routing: the service teams, the agents, the skill each case type requires --------------------

teams = sa.Table(
    "teams",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("name", sa.String(100), nullable=False, unique=True),
    sa.Column("manager_id", sa.String(100)),  # whom its agents' escalations go to
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
)

agents = sa.Table(
    "agents",
    metadata,
    sa.Column("user_id", sa.String(100), primary_key=True),
    sa.Column("team_id", sa.Uuid(), sa.ForeignKey("teams.id")),
    sa.Column("skills", sa.JSON(), nullable=False),  # sorted lowercase names
    sa.Column("capacity", sa.Integer(), nullable=False),
    sa.Column("available", sa.Boolean(), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Index("ix_agents_team", "team_id"),
)

required_skills = sa.Table(
    "required_skills",
    metadata,
    sa.Column("case_type", sa.String(20), primary_key=True),
    sa.Column("skill", sa.String(50), nullable=False),
)

# Per skill ("" for case types that need none): the agent who got the last case routed by it,
# the row locked while a case is routed.
routing_cursors = sa.Table(
    "routing_cursors",
    metadata,
    sa.Column("skill", sa.String(50), primary_key=True),
    sa.Column("last_user_id", sa.String(100)),
    sa.Column("version", sa.Integer(), nullable=False),
)
