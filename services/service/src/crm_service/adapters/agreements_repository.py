"""The service agreements' storage. A stale version is a Conflict (ABORTED); a second
agreement for the same customer and order is AlreadyExists."""

from __future__ import annotations

import builtins
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from crm_platform.errors import AlreadyExists, Conflict
from crm_platform.paging import Cursor
from sqlalchemy.orm import Session

from crm_service.adapters.orm import agreements
from crm_service.adapters.sla_json import (
    calendar_from_json,
    calendar_to_json,
    targets_from_json,
    targets_to_json,
)
from crm_service.domain.sla import Agreement, SlaPolicy


class SqlAgreements:
    def __init__(self, session: Session) -> None:
        self.session = session
        self._versions: dict[UUID, int] = {}

    def get(self, agreement_id: UUID) -> Agreement | None:
        row = self.session.execute(
            sa.select(agreements).where(agreements.c.id == agreement_id)
        ).first()
        return None if row is None else self._loaded(row)

    def of_customer(self, customer_id: UUID) -> builtins.list[Agreement]:
        rows = self.session.execute(
            sa.select(agreements)
            .where(agreements.c.customer_id == customer_id)
            .order_by(agreements.c.created_at, agreements.c.id)
        )
        return [self._loaded(row) for row in rows]

    def list(
        self, customer_id: UUID | None, after: Cursor | None, limit: int
    ) -> builtins.list[Agreement]:
        statement = sa.select(agreements)
        if customer_id is not None:
            statement = statement.where(agreements.c.customer_id == customer_id)
        if after is not None:
            created_at, agreement_id = after
            statement = statement.where(
                sa.tuple_(agreements.c.created_at, agreements.c.id)
                > sa.tuple_(
                    sa.literal(created_at, agreements.c.created_at.type),
                    sa.literal(agreement_id, agreements.c.id.type),
                )
            )
        statement = statement.order_by(agreements.c.created_at, agreements.c.id).limit(limit)
        return [self._loaded(row) for row in self.session.execute(statement)]

    def add(self, agreement: Agreement) -> None:
        duplicate = self.session.execute(
            sa.select(agreements.c.id).where(
                agreements.c.customer_id == agreement.customer_id,
                agreements.c.order_ref == agreement.order_ref,
            )
        ).scalar()
        if duplicate is not None:
            raise AlreadyExists(
                "the customer has an agreement for this order reference already", str(duplicate)
            )
        self.session.execute(sa.insert(agreements).values(_values(agreement)))
        self._versions[agreement.id] = agreement.version

    def save(self, agreement: Agreement) -> None:
        version = self._versions[agreement.id]
        result: sa.CursorResult[Any] = self.session.execute(  # type: ignore[assignment]
            sa.update(agreements)
            .where(agreements.c.id == agreement.id, agreements.c.version == version)
            .values(_values(agreement))
        )
        if result.rowcount != 1:
            raise Conflict(f"agreement {agreement.id} was changed concurrently; read it again")
        self._versions[agreement.id] = agreement.version

    def _loaded(self, row: Any) -> Agreement:
        agreement = Agreement(
            id=row.id,
            customer_id=row.customer_id,
            order_ref=row.order_ref,
            name=row.name,
            policy=SlaPolicy(targets_from_json(row.targets)),
            calendar=calendar_from_json(row.calendar),
            version=row.version,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )
        self._versions[agreement.id] = agreement.version
        return agreement


def _values(agreement: Agreement) -> dict[str, Any]:
    return {
        "id": agreement.id,
        "customer_id": agreement.customer_id,
        "order_ref": agreement.order_ref,
        "name": agreement.name,
        "targets": targets_to_json(agreement.policy.targets),
        "calendar": calendar_to_json(agreement.calendar),
        "version": agreement.version,
        "created_at": agreement.created_at,
        "updated_at": agreement.updated_at,
    }
