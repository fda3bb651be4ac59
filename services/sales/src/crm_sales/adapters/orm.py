"""The sales database's tables (SQLAlchemy Core). Migrations create them; this module only
describes them, for the repositories and for Alembic's comparisons.

An order is one row: the columns it is found and listed by, and the rest of the aggregate
(proposal, terms, signatures, milestones, history) as a JSON document beside them, written
whole at every change under the version check.
"""

from __future__ import annotations

import sqlalchemy as sa
from crm_platform.db import UtcDateTime
from crm_platform.privacy import erasure_table

from crm_sales.domain.leads import OPEN

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

# Who holds an order's outsourcing, as the partner service's assignment events tell it;
# `version` is the newest assignment version applied (a new assignment starts again at 1)
order_holders = sa.Table(
    "order_holders",
    metadata,
    sa.Column("order_id", sa.Uuid(), primary_key=True),
    sa.Column("assignment_id", sa.Uuid(), nullable=False),
    sa.Column("partner_id", sa.Uuid()),
    sa.Column("partner_name", sa.String(200), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("since", UtcDateTime(), nullable=False),
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

# Identity's accounts as its AccountChanged events tell them: a disabled account gets no leads,
# whatever its teams say. `version` is the newest account version applied.
staff_accounts = sa.Table(
    "staff_accounts",
    metadata,
    sa.Column("user_id", sa.String(100), primary_key=True),
    sa.Column("disabled", sa.Boolean(), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
)

# -- leads: captured, scored, assigned to a team and a rep, converted ----------------------------

# Found by owner, team, status and source, and by the normalized email and phone that duplicates
# are found by; contact, notes, tags and score are the document. `capture_id` is the id the
# capturing service gave it (marketing's LeadCaptured), so that a redelivery makes no second.
leads = sa.Table(
    "leads",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("source", sa.String(20), nullable=False),
    sa.Column("owner_id", sa.String(100)),
    sa.Column("team_id", sa.Uuid()),
    sa.Column("customer_id", sa.Uuid()),
    sa.Column("email_key", sa.String(254), nullable=False),
    sa.Column("phone_key", sa.String(40), nullable=False),
    sa.Column("capture_id", sa.Uuid(), unique=True),
    sa.Column("document", sa.JSON(), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Index("ix_leads_created", "created_at", "id"),
    sa.Index("ix_leads_owner_created", "owner_id", "created_at", "id"),
    sa.Index("ix_leads_team_created", "team_id", "created_at", "id"),
    sa.Index("ix_leads_email", "email_key"),
    sa.Index("ix_leads_phone", "phone_key"),
    sa.Index("ix_leads_customer", "customer_id"),
)


def _one_open_lead_per(key: sa.Column[str]) -> sa.Index:
    """One person is one open lead: capture looks for an open duplicate first, and this index
    decides between two captures of the same person at once."""
    open_contact = sa.and_(key != "", leads.c.status.in_(sorted(status.value for status in OPEN)))
    return sa.Index(
        f"ux_leads_open_{key.name}",
        key,
        unique=True,
        postgresql_where=open_contact,
        sqlite_where=open_contact,
    )


OPEN_LEAD_CONTACT_INDEXES = (
    _one_open_lead_per(leads.c.email_key),
    _one_open_lead_per(leads.c.phone_key),
)

# One row per assignment to a rep by a team: a rep's quota this month is counted here.
lead_assignments = sa.Table(
    "lead_assignments",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("lead_id", sa.Uuid(), nullable=False),
    sa.Column("team_id", sa.Uuid(), nullable=False),
    sa.Column("owner_id", sa.String(100), nullable=False),
    sa.Column("month", sa.String(7), nullable=False),  # "2026-12", UTC
    sa.Column("reason", sa.String(20), nullable=False),
    sa.Column("assigned_at", UtcDateTime(), nullable=False),
    sa.Index("ix_lead_assignments_team_month", "team_id", "month", "owner_id"),
)

# Each team's round-robin position: the rep who got its last lead. Locked while a lead is
# assigned (and version-checked), so two concurrent leads never go to the same turn.
assignment_cursors = sa.Table(
    "assignment_cursors",
    metadata,
    sa.Column("team_id", sa.Uuid(), sa.ForeignKey("teams.id"), primary_key=True),
    sa.Column("last_user_id", sa.String(100)),
    sa.Column("version", sa.Integer(), nullable=False),
)

# The win models' counts: one row per team, and "company" for every team's outcomes.
win_models = sa.Table(
    "win_models",
    metadata,
    sa.Column("scope", sa.String(40), primary_key=True),
    sa.Column("team_id", sa.Uuid()),  # None: company-wide
    sa.Column("counts", sa.JSON(), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)

# -- activities: calls, meetings, tasks and emails about a lead, opportunity, order or customer --

# Found by owner and due time (calendars, overdue lists), by subject; the rest is the document.
activities = sa.Table(
    "activities",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("owner_id", sa.String(100)),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("subject_kind", sa.String(20), nullable=False),
    sa.Column("subject_id", sa.Uuid(), nullable=False),
    sa.Column("customer_id", sa.Uuid()),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("due_at", UtcDateTime(), nullable=False),
    sa.Column("done_at", UtcDateTime()),
    sa.Column("outcome", sa.String(20)),
    sa.Column("document", sa.JSON(), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Index("ix_activities_owner_due", "owner_id", "due_at", "id"),
    sa.Index("ix_activities_due", "due_at", "id"),
    sa.Index("ix_activities_subject", "subject_id", "due_at"),
    sa.Index("ix_activities_customer_due", "customer_id", "due_at"),
)

# -- opportunities: deals through the pipeline's stages ------------------------------------------

# The columns the pipeline is listed, filtered and summed by; contacts, competitors and the loss
# are the document. `amount_cents` and `probability_bp` (hundredths of a percent) are integers
# so that the board's and the weighted pipeline's sums are exact on every database (SQLite keeps
# a Numeric as a float).
opportunities = sa.Table(
    "opportunities",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("owner_id", sa.String(100)),
    sa.Column("team_id", sa.Uuid()),
    sa.Column("partner_id", sa.Uuid()),
    sa.Column("customer_id", sa.Uuid(), nullable=False),
    sa.Column("lead_id", sa.Uuid()),
    sa.Column("stage", sa.String(30), nullable=False),
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("amount", sa.Numeric(18, 2)),
    sa.Column("currency", sa.String(3)),
    sa.Column("amount_cents", sa.BigInteger()),
    sa.Column("probability_bp", sa.Integer(), nullable=False),
    sa.Column("expected_close", sa.Date()),
    sa.Column("document", sa.JSON(), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Column("closed_at", UtcDateTime()),
    sa.Index("ix_opportunities_created", "created_at", "id"),
    sa.Index("ix_opportunities_owner_created", "owner_id", "created_at", "id"),
    sa.Index("ix_opportunities_customer_created", "customer_id", "created_at", "id"),
    sa.Index("ix_opportunities_partner_created", "partner_id", "created_at", "id"),
    sa.Index("ix_opportunities_team_stage", "team_id", "stage"),
    sa.Index("ix_opportunities_stage_close", "stage", "expected_close"),
)

# -- quotes, expenses and sales targets -----------------------------------------------------------

# A quote is found by customer, owner and opportunity; its lines, approval and answer are its
# document.
quotes = sa.Table(
    "quotes",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("customer_id", sa.Uuid(), nullable=False),
    sa.Column("opportunity_id", sa.Uuid()),
    sa.Column("owner_id", sa.String(100)),
    sa.Column("state", sa.String(30), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("grand_total", sa.Numeric(18, 2), nullable=False),
    sa.Column("valid_until", sa.Date(), nullable=False),
    sa.Column("document", sa.JSON(), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Index("ix_quotes_customer_created", "customer_id", "created_at", "id"),
    sa.Index("ix_quotes_owner_created", "owner_id", "created_at", "id"),
    sa.Index("ix_quotes_opportunity", "opportunity_id"),
    sa.Index("ix_quotes_created", "created_at", "id"),
)

# A rep's expense (owner_id: the rep), with the deal it was spent on.
expenses = sa.Table(
    "expenses",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("owner_id", sa.String(100), nullable=False),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("category", sa.String(20), nullable=False),
    sa.Column("amount", sa.Numeric(18, 2), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("spent_on", sa.Date(), nullable=False),
    sa.Column("deal_kind", sa.String(20)),
    sa.Column("deal_id", sa.Uuid()),
    sa.Column("document", sa.JSON(), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Index("ix_expenses_owner_created", "owner_id", "created_at", "id"),
    sa.Index("ix_expenses_created", "created_at", "id"),
)

# One target per rep (owner_id) and period ("2025-03" or "2025-Q1"); its amount in cents, exact
# on every database. Quotes and expenses keep their exact amounts in the document: their
# Numeric columns are for queries (SQLite keeps a Numeric as a float).
sales_targets = sa.Table(
    "sales_targets",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("owner_id", sa.String(100), nullable=False),
    sa.Column("period", sa.String(7), nullable=False),
    sa.Column("amount_cents", sa.BigInteger(), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("set_by", sa.String(100), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.UniqueConstraint("owner_id", "period", name="uq_sales_targets_owner_period"),
)

# the customers whose personal data sales has erased (crm_platform.privacy, migration 0009)
personal_data_erasures = erasure_table(metadata)
