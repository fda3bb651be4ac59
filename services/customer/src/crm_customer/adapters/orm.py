"""The customer database's tables (SQLAlchemy Core). Migrations create them; this module only
describes them, for the repositories and for Alembic's comparisons."""

from __future__ import annotations

import sqlalchemy as sa
from crm_platform.db import UtcDateTime

metadata = sa.MetaData()

LIVE = sa.text("merged_into_id IS NULL")

customers = sa.Table(
    "customers",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("email", sa.String(254)),
    sa.Column("phone", sa.String(32)),
    sa.Column("region", sa.String(100)),
    sa.Column("city", sa.String(100)),
    sa.Column("birth_date", sa.Date()),
    sa.Column("gender", sa.String(20)),
    sa.Column("preferences", sa.JSON(), nullable=False),
    sa.Column("acquisition_source", sa.String(20)),
    sa.Column("owner_id", sa.Uuid()),
    sa.Column("partner_id", sa.Uuid()),  # migration 0003
    sa.Column("blacklisted", sa.Boolean(), nullable=False),
    sa.Column("blacklist_reason", sa.String(500)),
    sa.Column("merged_into_id", sa.Uuid(), sa.ForeignKey("customers.id")),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    # Dedupe among live customers, also against concurrent creates.
    sa.Index(
        "ux_customers_live_email",
        "email",
        unique=True,
        postgresql_where=LIVE,
        sqlite_where=LIVE,
    ),
    sa.Index(
        "ux_customers_live_phone",
        "phone",
        unique=True,
        postgresql_where=LIVE,
        sqlite_where=LIVE,
    ),
    # Recognition also finds merged records, to lead to their survivor.
    sa.Index("ix_customers_email", "email"),
    sa.Index("ix_customers_phone", "phone"),
    # The list's keyset order.
    sa.Index(
        "ix_customers_live_created",
        "created_at",
        "id",
        postgresql_where=LIVE,
        sqlite_where=LIVE,
    ),
    sa.Index("ix_customers_source", "acquisition_source"),
)
# The region filter is case-insensitive.
sa.Index("ix_customers_region", sa.func.lower(customers.c.region))
# The region-filtered list's keyset order (migration 0002).
sa.Index(
    "ix_customers_live_region_created",
    sa.func.lower(customers.c.region),
    customers.c.created_at,
    customers.c.id,
    postgresql_where=LIVE,
    sqlite_where=LIVE,
)
# The possible-duplicates review's lookups: the newest of a name, of a city (migration 0005).
sa.Index(
    "ix_customers_live_name_created",
    sa.func.lower(customers.c.name),
    customers.c.created_at,
    customers.c.id,
    postgresql_where=LIVE,
    sqlite_where=LIVE,
)
sa.Index(
    "ix_customers_live_city_created",
    sa.func.lower(customers.c.city),
    customers.c.created_at,
    customers.c.id,
    postgresql_where=LIVE,
    sqlite_where=LIVE,
)
# A partner's customers in the list's keyset order (migration 0003).
sa.Index(
    "ix_customers_live_partner_created",
    customers.c.partner_id,
    customers.c.created_at,
    customers.c.id,
    postgresql_where=LIVE,
    sqlite_where=LIVE,
)

customer_tags = sa.Table(
    "customer_tags",
    metadata,
    sa.Column(
        "customer_id",
        sa.Uuid(),
        sa.ForeignKey("customers.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("tag", sa.String(50), primary_key=True),
    sa.Index("ix_customer_tags_tag", "tag", "customer_id"),
)

customer_consents = sa.Table(
    "customer_consents",
    metadata,
    sa.Column(
        "customer_id",
        sa.Uuid(),
        sa.ForeignKey("customers.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("channel", sa.String(10), primary_key=True),
    sa.Column("granted", sa.Boolean(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)

interactions = sa.Table(
    "interactions",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column(
        "customer_id",
        sa.Uuid(),
        sa.ForeignKey("customers.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("channel", sa.String(20), nullable=False),
    sa.Column("summary", sa.Text(), nullable=False),
    sa.Column("occurred_at", UtcDateTime(), nullable=False),
    sa.Column("actor_subject", sa.String(200), nullable=False),
    sa.Column("actor_kind", sa.String(20), nullable=False),
    sa.Column("recorded_at", UtcDateTime(), nullable=False),
)
# The timeline, newest first.
sa.Index(
    "ix_interactions_timeline",
    interactions.c.customer_id,
    interactions.c.occurred_at.desc(),
    interactions.c.id.desc(),
)

# Create requests already served, so a retry returns the first result.
idempotency_keys = sa.Table(
    "idempotency_keys",
    metadata,
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("customer_id", sa.Uuid(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
)

# -- loyalty: one account per customer, and its ledger ------------------------------------------

loyalty_accounts = sa.Table(
    "loyalty_accounts",
    metadata,
    sa.Column("customer_id", sa.Uuid(), sa.ForeignKey("customers.id"), primary_key=True),
    sa.Column("balance", sa.Integer(), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)

# Every change of a balance. Earned and restored entries are lots: `remaining` is what is
# neither spent nor expired of them (0 once used up), `expires_at` when what remains expires.
loyalty_entries = sa.Table(
    "loyalty_entries",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column(
        "customer_id", sa.Uuid(), sa.ForeignKey("loyalty_accounts.customer_id"), nullable=False
    ),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("points", sa.Integer(), nullable=False),
    sa.Column("balance", sa.Integer(), nullable=False),
    sa.Column("order_id", sa.Uuid()),
    sa.Column("occurred_at", UtcDateTime(), nullable=False),
    sa.Column("expires_at", UtcDateTime()),
    sa.Column("remaining", sa.Integer(), nullable=False),
    sa.Index("ix_loyalty_entries_ledger", "customer_id", "occurred_at", "id"),
    sa.Index("ix_loyalty_entries_order", "customer_id", "order_id"),
    # an order earns once and redeems once in an account, whatever delivers its events (a
    # merge's transferred lots name their order again in the survivor's)
    sa.Index(
        "ux_loyalty_entries_order_kind",
        "customer_id",
        "order_id",
        "kind",
        unique=True,
        postgresql_where=sa.text("order_id IS NOT NULL"),
        sqlite_where=sa.text("order_id IS NOT NULL"),
    ),
    sa.Index(
        "ix_loyalty_entries_open_lots",
        "expires_at",
        postgresql_where=sa.text("remaining > 0"),
        sqlite_where=sa.text("remaining > 0"),
    ),
)

# -- imports: uploaded files imported as jobs (migration 0006) ---------------------------------

customer_imports = sa.Table(
    "customer_imports",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("file_name", sa.String(200), nullable=False),
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("actor_subject", sa.String(200), nullable=False),
    sa.Column("actor_kind", sa.String(20), nullable=False),
    sa.Column("correlation_id", sa.String(200), nullable=False),
    sa.Column("content", sa.Text(), nullable=False),
    sa.Column("total", sa.Integer(), nullable=False),
    sa.Column("done", sa.Integer(), nullable=False),
    sa.Column("accepted", sa.Integer(), nullable=False),
    sa.Column("rejected", sa.Integer(), nullable=False),
    sa.Column("last_line", sa.Integer(), nullable=False),
    # the importer running it, until its lease ends (then another may take it over)
    sa.Column("claim", sa.Uuid()),
    sa.Column("lease_until", UtcDateTime()),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Column("finished_at", UtcDateTime()),
    # the importer's queue: the unfinished, oldest first
    sa.Index(
        "ix_customer_imports_unfinished",
        "created_at",
        postgresql_where=sa.text("status <> 'done'"),
        sqlite_where=sa.text("status <> 'done'"),
    ),
)

customer_import_rejections = sa.Table(
    "customer_import_rejections",
    metadata,
    sa.Column(
        "import_id",
        sa.Uuid(),
        sa.ForeignKey("customer_imports.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("line", sa.Integer(), primary_key=True),
    sa.Column("reason", sa.Text(), nullable=False),
)

# -- erasure (privacy, migration 0007) -----------------------------------------------------------

# One per customer erased: who asked, when, and the services it waits for (the registry's list
# when it began); each service's confirmation beside it.
erasures = sa.Table(
    "erasures",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("customer_id", sa.Uuid(), sa.ForeignKey("customers.id"), nullable=False),
    sa.Column("requested_at", UtcDateTime(), nullable=False),
    sa.Column("actor_subject", sa.String(200), nullable=False),
    sa.Column("actor_kind", sa.String(20), nullable=False),
    sa.Column("services", sa.JSON(), nullable=False),
    sa.UniqueConstraint("customer_id", name="uq_erasures_customer"),
)

erasure_confirmations = sa.Table(
    "erasure_confirmations",
    metadata,
    sa.Column(
        "erasure_id",
        sa.Uuid(),
        sa.ForeignKey("erasures.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("service", sa.String(100), primary_key=True),
    sa.Column("confirmed_at", UtcDateTime(), nullable=False),
)
