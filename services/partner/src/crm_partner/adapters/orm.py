"""The partner database's tables (SQLAlchemy Core). Migrations create them; this module only
describes them, for the repositories and for Alembic's comparisons.

Each aggregate is one row: the columns it is found and listed by, and the rest as a JSON
document beside them, written whole at every change under the version check.
"""

from __future__ import annotations

import sqlalchemy as sa
from crm_platform.db import UtcDateTime

metadata = sa.MetaData()

# `skills` is "|capability|specialty|...|", for a LIKE on one of them
partners = sa.Table(
    "partners",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("active", sa.Boolean(), nullable=False),
    sa.Column("skills", sa.Text(), nullable=False),
    sa.Column("document", sa.JSON(), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Index("ix_partners_created", "created_at", "id"),
)

# `partner_id` and `deadline` are the current offer's (the partner offered it or holding it,
# and when an offered one's answer is due); one open assignment per piece of work
assignments = sa.Table(
    "assignments",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("work_kind", sa.String(20), nullable=False),
    sa.Column("work_id", sa.Uuid(), nullable=False),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("partner_id", sa.Uuid()),
    sa.Column("deadline", UtcDateTime()),
    sa.Column("document", sa.JSON(), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Index(
        "ux_assignments_open_work", "work_kind", "work_id", unique=True,
        postgresql_where=sa.text("state IN ('offered', 'accepted')"),
        sqlite_where=sa.text("state IN ('offered', 'accepted')"),
    ),
    sa.Index("ix_assignments_work", "work_id"),
    sa.Index("ix_assignments_due", "state", "deadline"),
    sa.Index("ix_assignments_partner_state", "partner_id", "state"),
    sa.Index("ix_assignments_created", "created_at", "id"),
)  # fmt: skip

# every partner an assignment was offered to: a partner user's list, a partner's scorecard
assignment_offers = sa.Table(
    "assignment_offers",
    metadata,
    sa.Column("assignment_id", sa.Uuid(), sa.ForeignKey("assignments.id"), primary_key=True),
    sa.Column("partner_id", sa.Uuid(), primary_key=True),
    sa.Index("ix_assignment_offers_partner", "partner_id"),
)

deal_registrations = sa.Table(
    "deal_registrations",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("partner_id", sa.Uuid(), nullable=False),
    sa.Column("customer_id", sa.Uuid(), nullable=False),
    sa.Column("opportunity_id", sa.Uuid()),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("document", sa.JSON(), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Index("ix_deal_registrations_customer", "customer_id", "state"),
    sa.Index("ix_deal_registrations_opportunity", "opportunity_id", "state"),
    sa.Index("ix_deal_registrations_partner_created", "partner_id", "created_at", "id"),
    sa.Index("ix_deal_registrations_created", "created_at", "id"),
)

# keyed by marketing's campaign id
joint_campaigns = sa.Table(
    "joint_campaigns",
    metadata,
    sa.Column("campaign_id", sa.Uuid(), primary_key=True),
    sa.Column("document", sa.JSON(), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)
