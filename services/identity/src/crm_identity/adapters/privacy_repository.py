"""What identity keeps about a customer, for the export and the erasure (crm_platform.privacy):
their login (never its password hash) and its refresh tokens' dates. Erasure ends the login:
the account is disabled with its name erased, its email made `erased-<account id>@invalid`
(emails are unique; that one is no address) and its password hash an unusable marker, and
every refresh token it holds is revoked."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from crm_platform.privacy import ERASED, PersonalTable, SqlPersonalRecords
from sqlalchemy.orm import Session

from crm_identity.adapters.orm import refresh_tokens, users

# a hash no password matches: no argon2 hash has this form
ERASED_PASSWORD = f"!{ERASED}"


def _erased_login(row: dict[str, Any]) -> str:
    return f"{ERASED}-{row['id']}@invalid"


def _revoked(row: dict[str, Any]) -> datetime:
    return row["revoked_at"] or datetime.now(UTC)


PERSONAL_TABLES = (
    PersonalTable(
        "account",
        users,
        texts=("name",),
        cleared={"email": _erased_login, "password_hash": ERASED_PASSWORD, "disabled": True},
        version="version",
        withheld=("password_hash",),
    ),
    PersonalTable(
        "refresh_tokens",
        refresh_tokens,
        cleared={"revoked_at": _revoked},
        withheld=("token_hash",),
        rows=lambda customer_id: refresh_tokens.c.user_id.in_(
            sa.select(users.c.id).where(users.c.customer_id == customer_id)
        ),
    ),
)


def personal_records(session: Session) -> SqlPersonalRecords:
    return SqlPersonalRecords(session, PERSONAL_TABLES)
