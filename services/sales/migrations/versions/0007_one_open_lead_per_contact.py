"""One open lead per email and per phone: unique indexes over the open leads' contact keys.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OPEN = "status IN ('assigned', 'new', 'qualified')"


def upgrade() -> None:
    for key in ("email_key", "phone_key"):
        doubled = (
            op.get_bind()
            .execute(
                sa.text(
                    f"SELECT {key}, COUNT(*) FROM leads WHERE {key} <> '' AND {_OPEN} "  # noqa: S608 - fixed names
                    f"GROUP BY {key} HAVING COUNT(*) > 1"
                )
            )
            .all()
        )
        if doubled:
            # Merging them is a decision for the team (MergeLeads), not for a migration.
            raise RuntimeError(
                f"open leads share a {key.removesuffix('_key')}: merge them first "
                f"({', '.join(str(row[0]) for row in doubled[:10])})"
            )
        where = sa.text(f"{key} <> '' AND {_OPEN}")
        op.create_index(
            f"ux_leads_open_{key}",
            "leads",
            [key],
            unique=True,
            postgresql_where=where,
            sqlite_where=where,
        )


def downgrade() -> None:
    for key in ("email_key", "phone_key"):
        op.drop_index(f"ux_leads_open_{key}", table_name="leads")
