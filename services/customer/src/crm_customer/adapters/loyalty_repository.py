"""The loyalty accounts' storage: the account row, its ledger, and the open lots (the earned and
restored entries with points left), which the account is loaded with."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from crm_platform.paging import Cursor
from sqlalchemy.orm import Session

from crm_customer.adapters.orm import loyalty_accounts, loyalty_entries
from crm_customer.domain.loyalty import EntryKind, LedgerEntry, Lot, LoyaltyAccount


class SqlLoyaltyRepository:
    def __init__(self, session: Session, track: Callable[[LoyaltyAccount], None]) -> None:
        self.session = session
        self._track = track
        self._stored: dict[UUID, tuple[int, dict[UUID, int]]] = {}  # version, lot -> remaining

    def get(self, customer_id: UUID, *, for_update: bool = False) -> LoyaltyAccount:
        statement = sa.select(loyalty_accounts).where(loyalty_accounts.c.customer_id == customer_id)
        row = self.session.execute(statement.with_for_update() if for_update else statement).first()
        lots = [
            Lot(lot.id, lot.remaining, lot.expires_at, lot.order_id)
            for lot in self.session.execute(
                sa.select(loyalty_entries)
                .where(
                    loyalty_entries.c.customer_id == customer_id, loyalty_entries.c.remaining > 0
                )
                .order_by(loyalty_entries.c.expires_at, loyalty_entries.c.id)
            )
        ]
        account = LoyaltyAccount(
            customer_id,
            balance=0 if row is None else row.balance,
            version=0 if row is None else row.version,
            lots=lots,
        )
        self._stored[customer_id] = (account.version, {lot.entry_id: lot.remaining for lot in lots})
        self._track(account)
        return account

    def save(self, account: LoyaltyAccount) -> None:
        version, stored_lots = self._stored[account.customer_id]
        if account.version == version:
            return
        now = datetime.now(UTC)
        values = {"balance": account.balance, "version": account.version, "updated_at": now}
        if version == 0:
            self.session.execute(
                sa.insert(loyalty_accounts).values(customer_id=account.customer_id, **values)
            )
        else:
            self.session.execute(
                sa.update(loyalty_accounts)
                .where(loyalty_accounts.c.customer_id == account.customer_id)
                .values(values)
            )
        lots = {lot.entry_id: lot.remaining for lot in account.lots}
        new_ids = {entry.id for entry in account.new_entries}
        if account.new_entries:
            self.session.execute(
                sa.insert(loyalty_entries),
                [_entry_values(entry, lots.get(entry.id, 0)) for entry in account.new_entries],
            )
        for lot_id, remaining in stored_lots.items():
            if lot_id not in new_ids and lots.get(lot_id, 0) != remaining:
                self.session.execute(
                    sa.update(loyalty_entries)
                    .where(loyalty_entries.c.id == lot_id)
                    .values(remaining=lots.get(lot_id, 0))
                )
        account.new_entries.clear()
        self._stored[account.customer_id] = (account.version, lots)

    def entries_of_order(self, order_id: UUID) -> list[LedgerEntry]:
        rows = self.session.execute(
            sa.select(loyalty_entries)
            .where(loyalty_entries.c.order_id == order_id)
            .order_by(loyalty_entries.c.occurred_at, loyalty_entries.c.id)
        )
        return [_entry(row) for row in rows]

    def earned_since(self, customer_id: UUID, since: datetime) -> int:
        earned = self.session.execute(
            sa.select(sa.func.coalesce(sa.func.sum(loyalty_entries.c.points), 0)).where(
                loyalty_entries.c.customer_id == customer_id,
                loyalty_entries.c.kind.in_([EntryKind.EARNED.value, EntryKind.REVERSED.value]),
                loyalty_entries.c.occurred_at >= since,
            )
        ).scalar_one()
        return max(int(earned), 0)

    def entries(self, customer_id: UUID, before: Cursor | None, limit: int) -> list[LedgerEntry]:
        statement = sa.select(loyalty_entries).where(loyalty_entries.c.customer_id == customer_id)
        if before is not None:
            occurred_at, entry_id = before
            statement = statement.where(
                sa.tuple_(loyalty_entries.c.occurred_at, loyalty_entries.c.id)
                < sa.tuple_(
                    sa.literal(occurred_at, loyalty_entries.c.occurred_at.type),
                    sa.literal(entry_id, loyalty_entries.c.id.type),
                )
            )
        statement = statement.order_by(
            loyalty_entries.c.occurred_at.desc(), loyalty_entries.c.id.desc()
        ).limit(limit)
        return [_entry(row) for row in self.session.execute(statement)]

    def with_expired_lots(self, now: datetime, limit: int) -> list[UUID]:
        rows = self.session.execute(
            sa.select(loyalty_entries.c.customer_id)
            .where(loyalty_entries.c.remaining > 0, loyalty_entries.c.expires_at <= now)
            .group_by(loyalty_entries.c.customer_id)
            .order_by(loyalty_entries.c.customer_id)
            .limit(limit)
        )
        return list(rows.scalars())


def _entry_values(entry: LedgerEntry, remaining: int) -> dict[str, Any]:
    return {
        "id": entry.id,
        "customer_id": entry.customer_id,
        "kind": entry.kind.value,
        "points": entry.points,
        "balance": entry.balance,
        "order_id": entry.order_id,
        "occurred_at": entry.occurred_at,
        "expires_at": entry.expires_at,
        "remaining": remaining,
    }


def _entry(row: Any) -> LedgerEntry:
    return LedgerEntry(
        id=row.id,
        customer_id=row.customer_id,
        kind=EntryKind(row.kind),
        points=row.points,
        balance=row.balance,
        order_id=row.order_id,
        occurred_at=row.occurred_at,
        expires_at=row.expires_at,
    )
