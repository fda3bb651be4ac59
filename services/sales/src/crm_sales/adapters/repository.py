"""Repositories over SQLAlchemy Core: rows in, aggregates out, and back. A stale version is a
Conflict (ABORTED): the order moved on since this transaction read it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from crm_platform.errors import Conflict
from crm_platform.paging import Cursor
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crm_sales.adapters.documents import from_row, to_document
from crm_sales.adapters.orm import idempotency_keys, order_holders, orders
from crm_sales.adapters.visibility import visible
from crm_sales.domain.orders import Holder, Order
from crm_sales.service_layer.ports import OrderFilters


class SqlOrderRepository:
    def __init__(self, session: Session, track: Callable[[Order], None]) -> None:
        self.session = session
        # the unit of work's: it collects the events of every order read or added here
        self._track = track
        self._loaded: dict[UUID, int] = {}  # id -> the version this transaction read

    def get(self, order_id: UUID) -> Order | None:
        row = self.session.execute(_with_holder().where(orders.c.id == order_id)).first()
        return None if row is None else self._loaded_order(row)

    def of_customer(self, customer_id: UUID) -> list[Order]:
        rows = self.session.execute(_with_holder().where(orders.c.customer_id == customer_id))
        return [self._loaded_order(row) for row in rows]

    def add(self, order: Order) -> None:
        self.session.execute(sa.insert(orders).values(_values(order)))
        self._loaded[order.id] = order.version
        self._track(order)

    def save(self, order: Order) -> None:
        read = self._loaded[order.id]
        if order.version == read:
            return  # unchanged
        result: sa.CursorResult[Any] = self.session.execute(  # type: ignore[assignment]
            sa.update(orders)
            .where(orders.c.id == order.id)
            .where(orders.c.version == read)
            .values(_values(order))
        )
        if result.rowcount != 1:
            raise Conflict(f"order {order.id} was changed concurrently; read it again")
        self._loaded[order.id] = order.version

    def list(self, filters: OrderFilters, after: Cursor | None, limit: int) -> list[Order]:
        statement = _with_holder().where(visible(filters.scope, orders))
        if filters.customer_id is not None:
            statement = statement.where(orders.c.customer_id == filters.customer_id)
        if filters.state is not None:
            statement = statement.where(orders.c.state == filters.state.value)
        if after is not None:
            created_at, order_id = after
            statement = statement.where(
                sa.tuple_(orders.c.created_at, orders.c.id)
                < sa.tuple_(
                    sa.literal(created_at, orders.c.created_at.type),
                    sa.literal(order_id, orders.c.id.type),
                )
            )
        statement = statement.order_by(orders.c.created_at.desc(), orders.c.id.desc()).limit(limit)
        return [self._loaded_order(row) for row in self.session.execute(statement)]

    def _loaded_order(self, row: Any) -> Order:
        order = from_row(row)
        if row.holder_assignment_id is not None:
            order.holder = Holder(
                row.holder_assignment_id,
                row.holder_partner_id,
                row.holder_partner_name,
                row.holder_status,
                row.holder_since,
            )
        self._loaded[order.id] = order.version
        self._track(order)
        return order


class SqlOrderHolders:
    """The partner service's word on who holds each outsourced order."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def record(self, order_id: UUID, holder: Holder, version: int) -> None:
        """Keep `holder` unless a newer version of the same assignment is kept already; a
        different assignment (the order outsourced anew) replaces the old one's."""
        current = self.session.execute(
            sa.select(order_holders.c.assignment_id, order_holders.c.version)
            .where(order_holders.c.order_id == order_id)
            .with_for_update()
        ).first()
        values = {
            "assignment_id": holder.assignment_id,
            "partner_id": holder.partner_id,
            "partner_name": holder.partner_name,
            "status": holder.status,
            "version": version,
            "since": holder.since,
        }
        if current is None:
            self.session.execute(sa.insert(order_holders).values(order_id=order_id, **values))
        elif current.assignment_id != holder.assignment_id or current.version < version:
            self.session.execute(
                sa.update(order_holders).where(order_holders.c.order_id == order_id).values(values)
            )


def _with_holder() -> sa.Select[Any]:
    """Orders with the columns of their holder, when they have one."""
    return sa.select(
        orders,
        order_holders.c.assignment_id.label("holder_assignment_id"),
        order_holders.c.partner_id.label("holder_partner_id"),
        order_holders.c.partner_name.label("holder_partner_name"),
        order_holders.c.status.label("holder_status"),
        order_holders.c.since.label("holder_since"),
    ).select_from(orders.outerjoin(order_holders, order_holders.c.order_id == orders.c.id))


class SqlIdempotencyKeys:
    def __init__(self, session: Session) -> None:
        self.session = session

    def claim(self, key: str, order_id: UUID, *, now: datetime) -> UUID | None:
        """None when the key is new (now claimed for `order_id`), else the order it made."""
        earlier = self._order_for(key)
        if earlier is not None:
            return earlier
        try:
            with self.session.begin_nested():
                self.session.execute(
                    sa.insert(idempotency_keys).values(key=key, order_id=order_id, created_at=now)
                )
        except IntegrityError:
            # A concurrent request with the same key committed first.
            return self._order_for(key)
        return None

    def _order_for(self, key: str) -> UUID | None:
        found: UUID | None = self.session.execute(
            sa.select(idempotency_keys.c.order_id).where(idempotency_keys.c.key == key)
        ).scalar()
        return found


def _values(order: Order) -> dict[str, Any]:
    return {
        "id": order.id,
        "customer_id": order.customer_id,
        "owner_id": order.owner_id,
        "partner_id": order.partner_id,
        "state": order.state.value,
        "title": order.title,
        "document": to_document(order),
        "version": order.version,
        "created_at": order.created_at,
        "updated_at": order.updated_at,
    }
