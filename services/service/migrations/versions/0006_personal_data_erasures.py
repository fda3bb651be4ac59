"""The customers whose personal data the service has erased (privacy).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op
from crm_platform.privacy import create_erasure_table, drop_erasure_table

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_erasure_table(op)


def downgrade() -> None:
    drop_erasure_table(op)
