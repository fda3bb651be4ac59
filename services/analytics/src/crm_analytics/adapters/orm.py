"""The read model's tables. Built only by the migrations in services/analytics/migrations."""

from __future__ import annotations

import sqlalchemy as sa
from crm_platform.db import UtcDateTime
from crm_platform.privacy import erasure_table

metadata = sa.MetaData()

# Registered and not merged away: the customers the segments count. The partial indexes below
# carry the same predicate, so each GROUP BY reads one small index instead of the table.
COUNTED_WHERE = sa.text("registered_at IS NOT NULL AND merged_into IS NULL")
MERGED_WHERE = sa.text("merged_into IS NOT NULL")


def _counted_index(name: str, column: str) -> sa.Index:
    return sa.Index(name, column, postgresql_where=COUNTED_WHERE, sqlite_where=COUNTED_WHERE)


customer_facts = sa.Table(
    "customer_facts",
    metadata,
    sa.Column("customer_id", sa.String(36), primary_key=True),
    sa.Column("region", sa.String(200)),
    sa.Column("city", sa.String(200)),
    sa.Column("gender", sa.String(20)),
    sa.Column("birth_date", sa.Date()),
    sa.Column("acquisition_source", sa.String(40)),
    sa.Column("registered_at", UtcDateTime()),  # NULL until a snapshot of the customer arrives
    sa.Column("blacklisted", sa.Boolean(), nullable=False),
    sa.Column("merged_into", sa.String(36)),
    sa.Column("snapshot_version", sa.BigInteger(), nullable=False),
    sa.Column("blacklist_version", sa.BigInteger(), nullable=False),
    sa.Column("merge_version", sa.BigInteger(), nullable=False),
    sa.Column("last_event_at", UtcDateTime(), nullable=False),
    _counted_index("ix_customer_facts_counted_region", "region"),
    _counted_index("ix_customer_facts_counted_gender", "gender"),
    _counted_index("ix_customer_facts_counted_birth_date", "birth_date"),
    _counted_index("ix_customer_facts_counted_source", "acquisition_source"),
    _counted_index("ix_customer_facts_counted_blacklisted", "blacklisted"),
    sa.Index(
        "ix_customer_facts_merged_into",
        "merged_into",
        postgresql_where=MERGED_WHERE,
        sqlite_where=MERGED_WHERE,
    ),
    sa.Index("ix_customer_facts_last_event_at", "last_event_at"),
)

# The tags and consents of the newest snapshot (and ConsentChanged), for the segments' rules.
customer_tags = sa.Table(
    "customer_tags",
    metadata,
    sa.Column("customer_id", sa.String(36), primary_key=True),
    sa.Column("tag", sa.String(50), primary_key=True),
    sa.Index("ix_customer_tags_tag", "tag"),
)

customer_consents = sa.Table(
    "customer_consents",
    metadata,
    sa.Column("customer_id", sa.String(36), primary_key=True),
    sa.Column("channel", sa.String(20), primary_key=True),
    sa.Column("granted", sa.Boolean(), nullable=False),
    sa.Column("version", sa.BigInteger(), nullable=False),
)

# Rule segments: the marketers' definitions (owned here, not rebuilt from events) and who is
# in each. A membership row stays when the customer leaves (member false), so its version
# keeps counting.
segments = sa.Table(
    "segments",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("description", sa.String(2000), nullable=False),
    sa.Column("rule", sa.JSON(), nullable=False),
    sa.Column("version", sa.BigInteger(), nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Index("ix_segments_created_at", "created_at", "id"),
)

segment_members = sa.Table(
    "segment_members",
    metadata,
    sa.Column("segment_id", sa.String(36), primary_key=True),
    sa.Column("customer_id", sa.String(36), primary_key=True),
    sa.Column("member", sa.Boolean(), nullable=False),
    sa.Column("version", sa.BigInteger(), nullable=False),
    sa.Index("ix_segment_members_customer_id", "customer_id"),
)

# -- value: orders, payments and interactions, and their sums per customer ----------------------

# Amounts are decimal text (exact on every database; SQLite keeps a Numeric as a float). The
# reporting currency's paid sum is also kept in cents, for the segments' comparisons.
orders = sa.Table(
    "orders",
    metadata,
    sa.Column("order_id", sa.String(36), primary_key=True),
    sa.Column("customer_id", sa.String(36), nullable=False),
    sa.Column("state", sa.String(30), nullable=False),
    sa.Column("amount", sa.String(40)),
    sa.Column("currency", sa.String(3)),
    sa.Column("placed_at", UtcDateTime(), nullable=False),
    sa.Column("version", sa.BigInteger(), nullable=False),
    sa.Index("ix_orders_customer_id", "customer_id"),
)

payments = sa.Table(
    "payments",
    metadata,
    sa.Column("order_id", sa.String(36), primary_key=True),
    sa.Column("number", sa.Integer(), primary_key=True),
    sa.Column("customer_id", sa.String(36), nullable=False),
    sa.Column("amount", sa.String(40), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("paid_at", UtcDateTime(), nullable=False),
    sa.Index("ix_payments_customer_id", "customer_id"),
)

interactions = sa.Table(
    "interactions",
    metadata,
    sa.Column("interaction_id", sa.String(36), primary_key=True),
    sa.Column("customer_id", sa.String(36), nullable=False),
    sa.Column("channel", sa.String(20), nullable=False),
    sa.Column("occurred_at", UtcDateTime(), nullable=False),
    sa.Index("ix_interactions_customer_id", "customer_id"),
)

customer_value = sa.Table(
    "customer_value",
    metadata,
    sa.Column("customer_id", sa.String(36), primary_key=True),
    sa.Column("orders", sa.Integer(), nullable=False),
    sa.Column("first_order_at", UtcDateTime()),
    sa.Column("last_order_at", UtcDateTime()),
    sa.Column("paid", sa.JSON(), nullable=False),  # [[amount, currency], ...] largest first
    sa.Column("paid_cents", sa.BigInteger(), nullable=False),  # in the reporting currency
    sa.Column("interactions", sa.Integer(), nullable=False),
    sa.Column("last_interaction_at", UtcDateTime()),
)

# -- RFM and lifetime value: each customer's scores, and the measures they are scored against -

customer_rfm = sa.Table(
    "customer_rfm",
    metadata,
    sa.Column("customer_id", sa.String(36), primary_key=True),
    sa.Column("recency_days", sa.Integer()),  # NULL: never ordered
    sa.Column("frequency", sa.Integer(), nullable=False),
    sa.Column("monetary_cents", sa.BigInteger(), nullable=False),
    sa.Column("r", sa.SmallInteger(), nullable=False),  # 1-5; 0: no orders
    sa.Column("f", sa.SmallInteger(), nullable=False),
    sa.Column("m", sa.SmallInteger(), nullable=False),
    sa.Column("segment", sa.String(30), nullable=False),
    sa.Column("value_tier", sa.String(20), nullable=False),
    sa.Column("churn_risk", sa.String(20), nullable=False),
    sa.Column("clv_cents", sa.BigInteger(), nullable=False),
    sa.Column("predicted_clv_cents", sa.BigInteger()),  # NULL: no model fitted
    sa.Column("p_alive", sa.Float()),
    sa.Column("scored_at", UtcDateTime(), nullable=False),
    sa.Index("ix_customer_rfm_segment", "segment"),
)

# One row ("current"): the quintile boundaries and the fitted models of the last full refresh.
value_measures = sa.Table(
    "value_measures",
    metadata,
    sa.Column("name", sa.String(20), primary_key=True),
    sa.Column("boundaries", sa.JSON(), nullable=False),
    sa.Column("model", sa.JSON()),  # NULL: too little history to fit
    sa.Column("measured_at", UtcDateTime(), nullable=False),
)

# the customers whose personal data analytics has erased (crm_platform.privacy)
personal_data_erasures = erasure_table(metadata)
