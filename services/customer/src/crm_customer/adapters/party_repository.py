"""The live records' profiles, read at once for the company-wide duplicate review: the columns
it scores, no tags or consents."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from crm_customer.adapters.orm import customers
from crm_customer.domain.duplicates import Party
from crm_customer.domain.values import PartyKind, Profile


class SqlParties:
    def __init__(self, session: Session) -> None:
        self.session = session

    def live(self) -> list[Party]:
        rows = self.session.execute(
            sa.select(
                customers.c.id,
                customers.c.created_at,
                customers.c.kind,
                customers.c.name,
                customers.c.email,
                customers.c.phone,
                customers.c.city,
            ).where(customers.c.merged_into_id.is_(None))
        )
        return [
            Party(
                row.id,
                row.created_at,
                Profile(
                    kind=PartyKind(row.kind),
                    name=row.name,
                    email=row.email,
                    phone=row.phone,
                    city=row.city,
                ),
            )
            for row in rows
        ]
