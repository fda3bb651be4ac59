"""The identity database's tables (SQLAlchemy Core). Migrations create them; this module
only describes them, for the repositories and for Alembic's comparisons."""

from __future__ import annotations

import sqlalchemy as sa
from crm_platform.db import UtcDateTime
from crm_platform.privacy import erasure_table

metadata = sa.MetaData()

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("email", sa.String(254), nullable=False, unique=True),  # normalized lowercase
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("name", sa.String(200)),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("customer_id", sa.Uuid(), unique=True),  # one login per customer
    sa.Column("partner_id", sa.String(100)),
    sa.Column("disabled", sa.Boolean(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Column("last_login_at", UtcDateTime()),
    # accounts older than their version start at 1
    sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
)

user_roles = sa.Table(
    "user_roles",
    metadata,
    sa.Column(
        "user_id", sa.Uuid(), sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("role", sa.String(30), primary_key=True),
    # "who are the admins" without a scan
    sa.Index("ix_user_roles_role", "role", "user_id"),
)

machine_clients = sa.Table(
    "machine_clients",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),  # the client_id
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("secret_hash", sa.String(255), nullable=False),
    sa.Column("scopes", sa.String(1000), nullable=False),  # space-separated
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("revoked_at", UtcDateTime()),
)

refresh_tokens = sa.Table(
    "refresh_tokens",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("family_id", sa.Uuid(), nullable=False),
    sa.Column("user_id", sa.Uuid(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),  # SHA-256, hex
    sa.Column("scopes", sa.String(1000), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("expires_at", UtcDateTime(), nullable=False),
    sa.Column("revoked_at", UtcDateTime()),
    sa.Column("replaced_by_id", sa.Uuid()),
    sa.Index("ix_refresh_tokens_family", "family_id"),
    sa.Index("ix_refresh_tokens_user", "user_id"),
)

signing_keys = sa.Table(
    "signing_keys",
    metadata,
    sa.Column("kid", sa.String(64), primary_key=True),
    sa.Column("public_key", sa.LargeBinary(), nullable=False),  # raw Ed25519, 32 bytes
    sa.Column("private_key", sa.LargeBinary(), nullable=False),  # PKCS#8 PEM
    sa.Column("encrypted", sa.Boolean(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("retired_at", UtcDateTime()),
    sa.Column("published_until", UtcDateTime()),
)

# the customers whose personal data identity has erased (crm_platform.privacy)
personal_data_erasures = erasure_table(metadata)
