"""Loyalty: a customer's points account and its ledger.

- A paid order earns points: one per `earn_per` of its total (10 units by default), whole
  points rounded down. Each earning is a lot that expires `expiry` after it was earned.
- Redeeming spends the lots that expire first; a point is worth `point_value` (0.1 unit) off
  the order it is redeemed for. One redemption per order, never more than the balance.
- A cancelled order takes back what is left of the lot it earned (what was spent stays spent,
  so the balance never goes below zero) and gives back what was redeemed for it, as a new lot.
- Lots past their expiry expire, each an entry of its own.
- A customer merged into another hands over their points: one entry takes the balance out of
  the merged account, and each of its lots comes into the survivor's as a transferred lot with
  the same expiry and order, so a later cancellation of that order takes it back there.
- The tier is what was earned over the last year: bronze, then silver and gold at the
  program's thresholds.

Every change is one ledger entry with the balance after it, and one event.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from enum import StrEnum
from uuid import UUID

from crm_platform.errors import FailedPrecondition, FieldViolation, ValidationFailed

TIER_WINDOW = timedelta(days=365)
CENT = Decimal("0.01")


class EntryKind(StrEnum):
    EARNED = "earned"  # a paid order's points
    REDEEMED = "redeemed"  # spent as a discount on an order
    REVERSED = "reversed"  # a cancelled order's earning taken back
    RESTORED = "restored"  # a cancelled order's redemption given back
    EXPIRED = "expired"
    TRANSFERRED = "transferred"  # out of a merged customer's account, or into the survivor's


class Tier(StrEnum):
    BRONZE = "bronze"
    SILVER = "silver"
    GOLD = "gold"


@dataclass(frozen=True)
class LoyaltyProgram:
    earn_per: Decimal = Decimal(10)
    point_value: Decimal = Decimal("0.1")
    expiry: timedelta = timedelta(days=365)
    silver_points: int = 1000
    gold_points: int = 5000

    def points_for(self, total: Decimal) -> int:
        if total <= 0:
            return 0
        return int((total / self.earn_per).to_integral_value(rounding=ROUND_DOWN))

    def discount_for(self, points: int) -> Decimal:
        return (self.point_value * points).quantize(CENT, rounding=ROUND_HALF_UP)

    def tier_for(self, earned_in_a_year: int) -> Tier:
        if earned_in_a_year >= self.gold_points:
            return Tier.GOLD
        if earned_in_a_year >= self.silver_points:
            return Tier.SILVER
        return Tier.BRONZE


@dataclass(frozen=True)
class LedgerEntry:
    id: UUID
    customer_id: UUID
    kind: EntryKind
    points: int  # signed: what the entry adds to the balance
    balance: int  # after the entry
    order_id: UUID | None
    occurred_at: datetime
    expires_at: datetime | None = None  # earned and restored points: when what is left expires


@dataclass
class Lot:
    """Points of one earned or restored entry that are not spent or expired yet."""

    entry_id: UUID
    remaining: int
    expires_at: datetime
    order_id: UUID | None = None  # the order whose entry made the lot


@dataclass(frozen=True)
class PointsChanged:
    entry: LedgerEntry
    version: int  # the account's, after the entry

    @property
    def customer_id(self) -> UUID:
        return self.entry.customer_id


@dataclass
class LoyaltyAccount:
    customer_id: UUID
    balance: int = 0
    version: int = 0  # 0: no entry yet
    lots: list[Lot] = field(default_factory=list)  # the open ones, first to expire first
    new_entries: list[LedgerEntry] = field(default_factory=list)  # not stored yet
    _events: list[PointsChanged] = field(default_factory=list, repr=False)

    def pull_events(self) -> list[PointsChanged]:
        events, self._events = self._events, []
        return events

    def earn(
        self, program: LoyaltyProgram, *, entry_id: UUID, order_id: UUID, total: Decimal,
        now: datetime,
    ) -> LedgerEntry | None:  # fmt: skip
        """The order's points; None when its total earns none."""
        points = program.points_for(total)
        if points == 0:
            return None
        return self._lot(EntryKind.EARNED, entry_id, order_id, points, now + program.expiry, now)

    def redeem(self, *, entry_id: UUID, order_id: UUID, points: int, now: datetime) -> LedgerEntry:
        if points <= 0:
            raise ValidationFailed(FieldViolation("points", "must be at least 1"))
        if points > self.balance:
            raise FailedPrecondition(f"the balance is {self.balance} points, not {points}")
        due = points
        for lot in self.lots:
            spent = min(lot.remaining, due)
            lot.remaining -= spent
            due -= spent
            if due == 0:
                break
        self._drop_empty_lots()
        return self._entry(EntryKind.REDEEMED, entry_id, order_id, -points, now)

    def cancel_order(
        self, program: LoyaltyProgram, *, order_entries: list[LedgerEntry],
        new_id: Callable[[], UUID], order_id: UUID, now: datetime,
    ) -> list[LedgerEntry]:  # fmt: skip
        """Undo what the order did: its earning's unspent points, and its redemption. Nothing
        when it did nothing or was cancelled already."""
        kinds = {entry.kind for entry in order_entries}
        if kinds & {EntryKind.REVERSED, EntryKind.RESTORED}:
            return []
        made = []
        for entry in order_entries:
            if entry.kind in (EntryKind.EARNED, EntryKind.TRANSFERRED):
                lot = next((lot for lot in self.lots if lot.entry_id == entry.id), None)
                if lot is not None and lot.remaining:
                    taken, lot.remaining = lot.remaining, 0
                    self._drop_empty_lots()
                    made.append(self._entry(EntryKind.REVERSED, new_id(), order_id, -taken, now))
            elif entry.kind is EntryKind.REDEEMED:
                expires = now + program.expiry
                made.append(
                    self._lot(EntryKind.RESTORED, new_id(), order_id, -entry.points, expires, now)
                )
        return made

    def transfer_to(
        self, survivor: LoyaltyAccount, *, new_id: Callable[[], UUID], now: datetime
    ) -> list[LedgerEntry]:
        """Hand every open lot over to the survivor's account (a merge); nothing when the
        balance is zero."""
        if self.balance == 0:
            return []
        made = [
            survivor._lot(
                EntryKind.TRANSFERRED, new_id(), lot.order_id, lot.remaining, lot.expires_at, now
            )
            for lot in self.lots
        ]
        self.lots = []
        made.append(self._entry(EntryKind.TRANSFERRED, new_id(), None, -self.balance, now))
        return made

    def expire(self, *, entry_id: UUID, now: datetime) -> LedgerEntry | None:
        """What is left of the lots expired by `now`, as one entry; None when nothing is."""
        expired = [lot for lot in self.lots if lot.expires_at <= now]
        points = sum(lot.remaining for lot in expired)
        if points == 0:
            return None
        for lot in expired:
            lot.remaining = 0
        self._drop_empty_lots()
        return self._entry(EntryKind.EXPIRED, entry_id, None, -points, now)

    def forfeit(self, *, entry_id: UUID, now: datetime) -> LedgerEntry | None:
        """Every open point expires now (the customer's erasure ends the account); None when
        none is left."""
        points = sum(lot.remaining for lot in self.lots)
        if points == 0:
            return None
        self.lots = []
        return self._entry(EntryKind.EXPIRED, entry_id, None, -points, now)

    def _lot(
        self, kind: EntryKind, entry_id: UUID, order_id: UUID | None, points: int,
        expires_at: datetime, now: datetime,
    ) -> LedgerEntry:  # fmt: skip
        self.lots.append(Lot(entry_id, points, expires_at, order_id))
        self.lots.sort(key=lambda lot: lot.expires_at)
        return self._entry(kind, entry_id, order_id, points, now, expires_at)

    def _entry(
        self, kind: EntryKind, entry_id: UUID, order_id: UUID | None, points: int,
        now: datetime, expires_at: datetime | None = None,
    ) -> LedgerEntry:  # fmt: skip
        self.balance += points
        self.version += 1
        entry = LedgerEntry(
            entry_id, self.customer_id, kind, points, self.balance, order_id, now, expires_at
        )
        self.new_entries.append(entry)
        self._events.append(PointsChanged(entry, self.version))
        return entry

    def _drop_empty_lots(self) -> None:
        self.lots = [lot for lot in self.lots if lot.remaining > 0]
