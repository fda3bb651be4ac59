"""Erasures and the customer's personal data over SQLAlchemy Core: the erasure with its
confirmations, and the rows the export shows (crm_platform.privacy's declarations)."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

import sqlalchemy as sa
from crm_platform.privacy import PersonalTable, SqlPersonalRecords
from sqlalchemy.orm import Session

from crm_customer.adapters.orm import (
    customer_consents,
    customer_tags,
    customers,
    erasure_confirmations,
    erasures,
    interactions,
    loyalty_accounts,
    loyalty_entries,
)
from crm_customer.domain.erasure import Erasure
from crm_customer.domain.values import Actor, ActorKind

# What the export shows, and what erasure changes beyond the record itself (which the domain
# anonymizes): the timeline's summaries. Consents, tags and the loyalty ledger stay as they are.
PERSONAL_TABLES = (
    PersonalTable(
        "customers",
        customers,
        rows=lambda customer_id: sa.or_(
            customers.c.id == customer_id, customers.c.merged_into_id == customer_id
        ),
    ),
    PersonalTable("tags", customer_tags),
    PersonalTable("consents", customer_consents),
    PersonalTable("interactions", interactions, texts=("summary",)),
    PersonalTable("loyalty_account", loyalty_accounts),
    PersonalTable("loyalty_entries", loyalty_entries),
)


def personal_records(session: Session) -> SqlPersonalRecords:
    return SqlPersonalRecords(session, PERSONAL_TABLES)


class SqlErasureRepository:
    def __init__(self, session: Session, track: Callable[[Erasure], None]) -> None:
        self.session = session
        self._track = track

    def add(self, erasure: Erasure) -> None:
        self.session.execute(
            sa.insert(erasures).values(
                id=erasure.id,
                customer_id=erasure.customer_id,
                requested_at=erasure.requested_at,
                actor_subject=erasure.requested_by.subject,
                actor_kind=erasure.requested_by.kind.value,
                services=list(erasure.expected),
            )
        )
        self._insert_confirmations(erasure, set(erasure.confirmations))
        self._track(erasure)

    def get(self, customer_id: UUID, *, for_update: bool = False) -> Erasure | None:
        """The customer's erasure; `for_update` locks it, so that concurrent confirmations
        are recorded one after the other."""
        statement = sa.select(erasures).where(erasures.c.customer_id == customer_id)
        if for_update:
            statement = statement.with_for_update()
        row = self.session.execute(statement).first()
        if row is None:
            return None
        confirmed = {
            found.service: found.confirmed_at
            for found in self.session.execute(
                sa.select(erasure_confirmations).where(erasure_confirmations.c.erasure_id == row.id)
            )
        }
        erasure = Erasure(
            id=row.id,
            customer_id=row.customer_id,
            requested_at=row.requested_at,
            requested_by=Actor(row.actor_subject, ActorKind(row.actor_kind)),
            expected=tuple(row.services),
            confirmations=confirmed,
        )
        self._track(erasure)
        return erasure

    def add_confirmation(self, erasure: Erasure, service: str) -> None:
        self._insert_confirmations(erasure, {service})

    def merged_into(self, customer_id: UUID) -> list[UUID]:
        """Every record merged into the customer, directly or along a chain of merges."""
        found: list[UUID] = []
        frontier = [customer_id]
        while frontier:
            frontier = list(
                self.session.execute(
                    sa.select(customers.c.id).where(customers.c.merged_into_id.in_(frontier))
                ).scalars()
            )
            found.extend(frontier)
        return found

    def _insert_confirmations(self, erasure: Erasure, services: set[str]) -> None:
        for service in sorted(services):
            self.session.execute(
                sa.insert(erasure_confirmations).values(
                    erasure_id=erasure.id,
                    service=service,
                    confirmed_at=erasure.confirmations[service],
                )
            )
