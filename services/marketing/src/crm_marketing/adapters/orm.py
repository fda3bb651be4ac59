"""The marketing database's tables (SQLAlchemy Core). Migrations create them; this module only
describes them, for the repositories and for Alembic's comparisons.

Each record is one row: the columns it is found and listed by, and the rest (a price list's
rules, a submission's answers) as a JSON document beside them, written whole at every change
under the version check.
"""

from __future__ import annotations

import sqlalchemy as sa
from crm_platform.db import UtcDateTime
from crm_platform.privacy import erasure_table

metadata = sa.MetaData()

products = sa.Table(
    "products",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("code", sa.String(64), nullable=False, unique=True),
    sa.Column("active", sa.Boolean(), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("list_price", sa.Numeric(18, 2), nullable=False),
    sa.Column("document", sa.JSON(), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)

price_lists = sa.Table(
    "price_lists",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("active", sa.Boolean(), nullable=False),
    sa.Column("document", sa.JSON(), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    # the lists a price is asked in, and every list newest first
    sa.Index("ix_price_lists_currency", "currency", "created_at"),
    sa.Index("ix_price_lists_created", "created_at", "id"),
)

# the tier whose rules apply to a customer's prices
customer_tiers = sa.Table(
    "customer_tiers",
    metadata,
    sa.Column("customer_id", sa.Uuid(), primary_key=True),
    sa.Column("tier", sa.String(30), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)

lead_forms = sa.Table(
    "lead_forms",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("campaign_id", sa.Uuid()),
    sa.Column("active", sa.Boolean(), nullable=False),
    sa.Column("document", sa.JSON(), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Index("ix_lead_forms_created", "created_at", "id"),
)

# every accepted submission of a form: the lead captured
form_submissions = sa.Table(
    "form_submissions",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("form_id", sa.Uuid(), nullable=False),
    sa.Column("campaign_id", sa.Uuid()),
    sa.Column("document", sa.JSON(), nullable=False),
    sa.Column("captured_at", UtcDateTime(), nullable=False),
    sa.Index("ix_form_submissions_form_captured", "form_id", "captured_at", "id"),
)

# the copy of each customer's contact details and consent (from the customer service's events);
# the versions of its pieces are in the document
contacts = sa.Table(
    "contacts",
    metadata,
    sa.Column("customer_id", sa.Uuid(), primary_key=True),
    sa.Column("email", sa.String(254)),
    sa.Column("document", sa.JSON(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Index("ix_contacts_email", "email"),
)

campaigns = sa.Table(
    "campaigns",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("channel", sa.String(20), nullable=False),
    sa.Column("document", sa.JSON(), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Index("ix_campaigns_created", "created_at", "id"),
)

# one row per audience member of a launched e-mail campaign: what was (or will be) sent
campaign_recipients = sa.Table(
    "campaign_recipients",
    metadata,
    sa.Column("campaign_id", sa.Uuid(), primary_key=True),
    sa.Column("customer_id", sa.Uuid(), primary_key=True),
    sa.Column("email", sa.String(254), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("skip_reason", sa.String(30)),
    sa.Column("attempts", sa.Integer(), nullable=False),
    sa.Column("next_attempt_at", UtcDateTime()),
    sa.Column("claimed_at", UtcDateTime()),
    sa.Column("message_id", sa.String(200), nullable=False),
    sa.Column("last_error", sa.String(500), nullable=False),
    sa.Column("sent_at", UtcDateTime()),
    sa.Column("document", sa.JSON(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    # what the sender claims next, and the claims it gives up
    sa.Index("ix_campaign_recipients_due", "status", "next_attempt_at"),
)

# addresses a permanent failure (5xx) marked undeliverable: nothing is sent to them again
invalid_addresses = sa.Table(
    "invalid_addresses",
    metadata,
    sa.Column("email", sa.String(254), primary_key=True),
    sa.Column("reason", sa.String(500), nullable=False),
    sa.Column("campaign_id", sa.Uuid(), nullable=False),
    sa.Column("customer_id", sa.Uuid(), nullable=False),
    sa.Column("marked_at", UtcDateTime(), nullable=False),
)

# the customers whose personal data marketing has erased (crm_platform.privacy)
personal_data_erasures = erasure_table(metadata)
