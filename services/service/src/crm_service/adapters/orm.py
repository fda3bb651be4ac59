"""The service database's tables (SQLAlchemy Core). Migrations create them; this module only
describes them, for the repositories and for Alembic's comparisons."""

from __future__ import annotations

import sqlalchemy as sa
from crm_platform.db import UtcDateTime
from crm_platform.privacy import erasure_table

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
    # the SLA clocks' pauses: [[from, until or null], ...] as ISO 8601 UTC, oldest first
    sa.Column("sla_pauses", sa.JSON(), nullable=False),
    sa.Column("escalated_to", sa.String(100)),  # null: not escalated; "": to nobody known
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
    # mail: from an address that is not the case's contact
    sa.Column("unknown_sender", sa.Boolean(), nullable=False),
    sa.Column("mail_id", sa.String(998), nullable=False),  # its Message-ID ("": not mail)
    sa.Index("ix_case_messages_case_created", "case_id", "created_at", "id"),
    # a reply's In-Reply-To finds the case
    sa.Index("ix_case_messages_mail_id", "mail_id"),
)

# Written once: the files a mail brought, within the size limit.
case_attachments = sa.Table(
    "case_attachments",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("message_id", sa.Uuid(), sa.ForeignKey("case_messages.id"), nullable=False),
    sa.Column("filename", sa.String(255), nullable=False),
    sa.Column("content_type", sa.String(255), nullable=False),
    sa.Column("size", sa.Integer(), nullable=False),
    sa.Column("data", sa.LargeBinary(), nullable=False),
    sa.Index("ix_case_attachments_message", "message_id"),
)

# -- SLA: the agreements, and each case's clocks with what the jobs role recorded on them -------

agreements = sa.Table(
    "agreements",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("customer_id", sa.Uuid(), nullable=False),
    sa.Column("order_ref", sa.String(100), nullable=False),  # "": every case of the customer
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("targets", sa.JSON(), nullable=False),
    sa.Column("calendar", sa.JSON(), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.UniqueConstraint("customer_id", "order_ref", name="uq_agreements_customer_order"),
    sa.Index("ix_agreements_created", "created_at", "id"),
)

sla_clocks = sa.Table(
    "sla_clocks",
    metadata,
    sa.Column("case_id", sa.Uuid(), sa.ForeignKey("cases.id"), primary_key=True),
    sa.Column("kind", sa.String(20), primary_key=True),
    sa.Column("target_minutes", sa.Integer(), nullable=False),
    sa.Column("calendar", sa.JSON(), nullable=False),  # as the agreement's, when it opened
    sa.Column("agreement_id", sa.Uuid()),  # null: the default policy
    sa.Column("warned_at", UtcDateTime()),
    sa.Column("breached_at", UtcDateTime()),
    # the jobs role's work: the clocks not breached yet
    sa.Index("ix_sla_clocks_open", "breached_at"),
)

# -- the knowledge base (its search index is each dialect's own: adapters/article_search.py) ---

articles = sa.Table(
    "articles",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("category", sa.String(100), nullable=False),
    sa.Column("tags", sa.JSON(), nullable=False),  # sorted lowercase
    sa.Column("draft_title", sa.String(200)),  # null: no draft
    sa.Column("draft_body", sa.Text()),
    sa.Column("published_number", sa.Integer()),  # null: never published
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("created_by", sa.String(100), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Index("ix_articles_created", "created_at", "id"),
)

# Written once: every published version of an article.
article_versions = sa.Table(
    "article_versions",
    metadata,
    sa.Column("article_id", sa.Uuid(), sa.ForeignKey("articles.id"), primary_key=True),
    sa.Column("number", sa.Integer(), primary_key=True),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("body", sa.Text(), nullable=False),
    sa.Column("published_by", sa.String(100), nullable=False),
    sa.Column("published_at", UtcDateTime(), nullable=False),
)

# Helpful or not, one answer per reader and article (the latest counts).
article_feedback = sa.Table(
    "article_feedback",
    metadata,
    sa.Column("article_id", sa.Uuid(), sa.ForeignKey("articles.id"), primary_key=True),
    sa.Column("reader", sa.String(100), primary_key=True),
    sa.Column("helpful", sa.Boolean(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
)

suggestions = sa.Table(
    "suggestions",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("asked_by", sa.String(100), nullable=False),
    sa.Column("customer_id", sa.Uuid()),
    sa.Column("question", sa.Text(), nullable=False),
    sa.Column("article_ids", sa.JSON(), nullable=False),
    sa.Column("solved_by", sa.Uuid()),  # the article that solved it
    sa.Column("solved_at", UtcDateTime()),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    # the deflection rate over a period
    sa.Index("ix_suggestions_created", "created_at"),
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

# -- mail the service sends: replies and surveys, queued with the change that caused them -------

outbound_mail = sa.Table(
    "outbound_mail",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("case_id", sa.Uuid(), sa.ForeignKey("cases.id"), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("recipient", sa.String(254), nullable=False),
    sa.Column("subject", sa.String(300), nullable=False),
    sa.Column("body", sa.Text(), nullable=False),
    sa.Column("mail_id", sa.String(998), nullable=False),  # its Message-ID
    sa.Column("in_reply_to", sa.String(998), nullable=False),
    sa.Column("mail_references", sa.JSON(), nullable=False),  # Message-IDs, oldest first
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("attempts", sa.Integer(), nullable=False),
    sa.Column("next_attempt_at", UtcDateTime(), nullable=False),
    sa.Column("claimed_at", UtcDateTime()),
    sa.Column("sent_at", UtcDateTime()),
    sa.Column("last_error", sa.Text(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    # the sender's look for what is due, and for claims given up
    sa.Index("ix_outbound_mail_status_due", "status", "next_attempt_at"),
    sa.Index("ix_outbound_mail_case", "case_id"),
)

# -- the customers' contact details, copied from the customer service's events ---------------

customer_contacts = sa.Table(
    "customer_contacts",
    metadata,
    sa.Column("customer_id", sa.Uuid(), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("email", sa.String(254), nullable=False),  # lowercase; "": none
    sa.Column("phone", sa.String(40), nullable=False),  # E.164; "": none
    sa.Column("birth_date", sa.Date()),
    sa.Column("owner_id", sa.String(100)),  # the staff member who owns the record
    sa.Column("customer_since", UtcDateTime(), nullable=False),
    sa.Column("blacklisted", sa.Boolean(), nullable=False),
    sa.Column("merged_into_id", sa.Uuid()),  # set on the loser of a merge
    sa.Column("version", sa.Integer(), nullable=False),  # the customer's, as last applied
    # mail and calls recognize their sender
    sa.Index("ix_customer_contacts_email", "email"),
    sa.Index("ix_customer_contacts_phone", "phone"),
)

# the customers whose personal data service has erased (crm_platform.privacy)
personal_data_erasures = erasure_table(metadata)

# -- satisfaction: one survey per case, made when it is resolved ---------------------------------

surveys = sa.Table(
    "surveys",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("case_id", sa.Uuid(), sa.ForeignKey("cases.id"), nullable=False, unique=True),
    sa.Column("case_reference", sa.String(20), nullable=False),
    sa.Column("case_subject", sa.String(200), nullable=False),
    sa.Column("customer_id", sa.Uuid()),
    sa.Column("agent_id", sa.String(100)),
    sa.Column("team_id", sa.Uuid()),
    sa.Column("score", sa.Integer(), nullable=False),  # 0: not answered yet
    sa.Column("comment", sa.Text(), nullable=False),
    sa.Column("answered_at", UtcDateTime()),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    # the results over a period
    sa.Index("ix_surveys_answered", "answered_at"),
)

# -- care: a task per customer, occasion and year, for the customer's owner ---------------------

care_tasks = sa.Table(
    "care_tasks",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("customer_id", sa.Uuid(), nullable=False),
    sa.Column("customer_name", sa.String(200), nullable=False),
    sa.Column("owner_id", sa.String(100)),
    sa.Column("occasion", sa.String(20), nullable=False),
    sa.Column("due_on", sa.Date(), nullable=False),
    sa.Column("year", sa.Integer(), nullable=False),
    sa.Column("years", sa.Integer(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    # never twice for the same customer, occasion and year, however often the job runs
    sa.UniqueConstraint("customer_id", "occasion", "year", name="uq_care_tasks_occasion_year"),
    sa.Index("ix_care_tasks_owner_due", "owner_id", "due_on", "id"),
)
