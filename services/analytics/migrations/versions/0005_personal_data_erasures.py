"""The customers whose personal data analytics has erased (privacy).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op
from crm_platform.privacy import create_erasure_table, drop_erasure_table

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_erasure_table(op)


def downgrade() -> None:
    drop_erasure_table(op)
