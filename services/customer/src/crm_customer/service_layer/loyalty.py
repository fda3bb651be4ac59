"""The loyalty use cases: reading an account and its ledger, redeeming points for an order,
and what sales' order events do to an account (a paid order earns, a cancelled one is undone),
each keyed by the order, so a redelivered or repeated event changes nothing the second time;
and the expiry of unspent points.

Points follow a merge: an order of a merged-away customer counts for the survivor."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from uuid import UUID

from crm_platform import paging
from crm_platform.errors import FailedPrecondition, FieldViolation, ValidationFailed
from crm_platform.paging import Page

from crm_customer.domain.loyalty import (
    TIER_WINDOW,
    EntryKind,
    LedgerEntry,
    LoyaltyAccount,
    LoyaltyProgram,
    Tier,
)
from crm_customer.service_layer.access import Caller, not_found
from crm_customer.service_layer.handlers import live_customer
from crm_customer.service_layer.ports import UnitOfWork


@dataclass(frozen=True)
class AccountView:
    account: LoyaltyAccount
    tier: Tier
    earned_last_year: int
    points_to_next_tier: int


@dataclass(frozen=True)
class RedemptionView:
    entry: LedgerEntry
    discount: Decimal
    account: AccountView


class LoyaltyHandlers:
    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        program: LoyaltyProgram,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.uow_factory = uow_factory
        self.program = program
        self.clock = clock

    def get(self, caller: Caller, customer_id: UUID | None) -> AccountView:
        with self.uow_factory() as uow:
            customer = _addressed(uow, caller, customer_id)
            return self._view(uow, uow.loyalty.get(customer))

    def entries(
        self, caller: Caller, customer_id: UUID | None, page_size: int, page_token: str
    ) -> Page[LedgerEntry]:
        limit = paging.page_size(page_size)
        before = paging.decode_cursor(page_token)
        with self.uow_factory() as uow:
            customer = _addressed(uow, caller, customer_id)
            rows = uow.loyalty.entries(customer, before, limit + 1)
        return paging.page_of(rows, limit, lambda entry: (entry.occurred_at, entry.id))

    def redeem(
        self, caller: Caller, customer_id: UUID | None, *, order_id: UUID, points: int
    ) -> RedemptionView:
        with self.uow_factory() as uow:
            customer = _addressed(uow, caller, customer_id)
            account = uow.loyalty.get(customer, for_update=True)
            earlier = [
                entry
                for entry in uow.loyalty.entries_of_order(order_id)
                if entry.kind in (EntryKind.REDEEMED, EntryKind.RESTORED)
            ]
            if earlier:
                first = earlier[0]
                if (
                    earlier == [first]
                    and first.kind is EntryKind.REDEEMED
                    and -first.points == points
                ):
                    return self._redemption(uow, account, first)  # the same request again
                raise FailedPrecondition(f"points were redeemed for order {order_id} already")
            entry = account.redeem(
                entry_id=uuid.uuid4(), order_id=order_id, points=points, now=self.clock()
            )
            uow.loyalty.save(account)
            uow.commit()
            return self._redemption(uow, account, entry)

    def expire_due(self, *, batch: int = 500) -> int:
        """Expire what is due for every account, one transaction per account; how many."""
        now = self.clock()
        expired = 0
        while True:
            with self.uow_factory() as uow:
                due = uow.loyalty.with_expired_lots(now, batch)
            for customer_id in due:
                with self.uow_factory() as uow:
                    account = uow.loyalty.get(customer_id, for_update=True)
                    if account.expire(entry_id=uuid.uuid4(), now=now) is not None:
                        uow.loyalty.save(account)
                        uow.commit()
                        expired += 1
            if len(due) < batch:
                return expired

    def _view(self, uow: UnitOfWork, account: LoyaltyAccount) -> AccountView:
        earned = uow.loyalty.earned_since(account.customer_id, self.clock() - TIER_WINDOW)
        tier = self.program.tier_for(earned)
        next_at = {
            Tier.BRONZE: self.program.silver_points,
            Tier.SILVER: self.program.gold_points,
        }.get(tier)
        return AccountView(account, tier, earned, 0 if next_at is None else next_at - earned)

    def _redemption(
        self, uow: UnitOfWork, account: LoyaltyAccount, entry: LedgerEntry
    ) -> RedemptionView:
        return RedemptionView(
            entry, self.program.discount_for(-entry.points), self._view(uow, account)
        )


def order_paid(
    uow: UnitOfWork,
    program: LoyaltyProgram,
    *,
    customer_id: UUID,
    order_id: UUID,
    total: Decimal,
    now: datetime,
) -> LedgerEntry | None:
    """The order's points, once: None when it earned them already or earns none."""
    owner = _survivor_id(uow, customer_id)
    if owner is None:
        return None
    if any(e.kind is EntryKind.EARNED for e in uow.loyalty.entries_of_order(order_id)):
        return None
    account = uow.loyalty.get(owner, for_update=True)
    entry = account.earn(program, entry_id=uuid.uuid4(), order_id=order_id, total=total, now=now)
    uow.loyalty.save(account)
    return entry


def order_cancelled(
    uow: UnitOfWork, program: LoyaltyProgram, *, customer_id: UUID, order_id: UUID,
    now: datetime,
) -> list[LedgerEntry]:  # fmt: skip
    """Undo what the order did to the account, once."""
    owner = _survivor_id(uow, customer_id)
    if owner is None:
        return []
    order_entries = uow.loyalty.entries_of_order(order_id)
    if not order_entries:
        return []
    account = uow.loyalty.get(owner, for_update=True)
    made = account.cancel_order(
        program, order_entries=order_entries, new_id=uuid.uuid4, order_id=order_id, now=now
    )
    uow.loyalty.save(account)
    return made


def _addressed(uow: UnitOfWork, caller: Caller, customer_id: UUID | None) -> UUID:
    """The customer asked about: a customer's own by default; staff must name one."""
    if customer_id is None:
        if caller.customer_id is None:
            raise ValidationFailed(FieldViolation("customer_id", "is required"))
        customer_id = caller.customer_id
    caller.ensure_may_address(customer_id)
    customer = uow.customers.get(customer_id)
    if customer is None:
        raise not_found(customer_id)
    caller.ensure_may_see(customer)
    return customer.id


def _survivor_id(uow: UnitOfWork, customer_id: UUID) -> UUID | None:
    customer = live_customer(uow.customers, customer_id)
    return None if customer is None else customer.id
