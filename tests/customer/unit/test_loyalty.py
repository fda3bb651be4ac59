"""The loyalty account: paid orders earn whole points, redemptions spend the lots that expire
first and never more than the balance, a cancelled order is undone without going below zero,
what is left of a lot expires, and the tier follows the year's earnings."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

import pytest
from crm_customer.domain.loyalty import EntryKind, LoyaltyAccount, LoyaltyProgram, Tier
from crm_platform.errors import FailedPrecondition, ValidationFailed

PROGRAM = LoyaltyProgram()
NOW = datetime(2026, 3, 1, tzinfo=UTC)
ids = (UUID(int=n) for n in itertools.count(1))


def account_with(*totals: str, start: datetime = NOW) -> tuple[LoyaltyAccount, list[UUID]]:
    account, orders = LoyaltyAccount(uuid4()), []
    for days, total in enumerate(totals):
        orders.append(order := uuid4())
        account.earn(
            PROGRAM, entry_id=next(ids), order_id=order, total=Decimal(total),
            now=start + timedelta(days=days),
        )  # fmt: skip
    return account, orders


@pytest.mark.parametrize(
    ("total", "points"), [("9.99", 0), ("10", 1), ("1999.99", 199), ("0", 0), ("-5", 0)]
)
def test_a_point_per_ten_units_rounded_down(total: str, points: int) -> None:
    assert PROGRAM.points_for(Decimal(total)) == points


def test_an_order_earns_a_lot_that_expires_a_year_later() -> None:
    account, (order,) = account_with("1234.50")

    assert (account.balance, account.version) == (123, 1)
    (entry,) = account.new_entries
    assert (entry.kind, entry.points, entry.balance, entry.order_id) == (
        EntryKind.EARNED, 123, 123, order,
    )  # fmt: skip
    assert entry.expires_at == NOW + timedelta(days=365)
    (event,) = account.pull_events()
    assert (event.entry, event.version) == (entry, 1)


def test_a_total_that_earns_nothing_makes_no_entry() -> None:
    account, _ = account_with("9.99")
    assert (account.balance, account.version, account.new_entries) == (0, 0, [])


def test_redeeming_spends_the_first_to_expire_and_never_more_than_the_balance() -> None:
    account, _ = account_with("300", "500")  # lots of 30 and 50 points
    account.redeem(entry_id=next(ids), order_id=uuid4(), points=40, now=NOW)

    assert account.balance == 40
    assert [lot.remaining for lot in account.lots] == [40]  # the first lot used up, 10 of the next
    with pytest.raises(FailedPrecondition, match="balance is 40"):
        account.redeem(entry_id=next(ids), order_id=uuid4(), points=41, now=NOW)
    with pytest.raises(ValidationFailed):
        account.redeem(entry_id=next(ids), order_id=uuid4(), points=0, now=NOW)
    assert account.balance == 40


def test_the_discount_is_a_tenth_of_a_unit_a_point() -> None:
    assert PROGRAM.discount_for(125) == Decimal("12.50")


def test_a_cancelled_order_takes_back_its_unspent_points_and_gives_back_its_redemption() -> None:
    account, (first, second) = account_with("300", "500")
    redeemed_for = uuid4()
    account.redeem(entry_id=next(ids), order_id=redeemed_for, points=40, now=NOW)
    entries = list(account.new_entries)

    # the first order's 30 points were spent: nothing of it is left to take back
    undone_first = account.cancel_order(
        PROGRAM, order_entries=[entries[0]], new_id=lambda: next(ids), order_id=first, now=NOW
    )
    undone_second = account.cancel_order(
        PROGRAM, order_entries=[entries[1]], new_id=lambda: next(ids), order_id=second, now=NOW
    )
    restored = account.cancel_order(
        PROGRAM, order_entries=[entries[2]], new_id=lambda: next(ids), order_id=redeemed_for,
        now=NOW,
    )  # fmt: skip

    assert undone_first == []
    assert [(e.kind, e.points) for e in undone_second] == [(EntryKind.REVERSED, -40)]
    assert [(e.kind, e.points, e.balance) for e in restored] == [(EntryKind.RESTORED, 40, 40)]
    assert account.balance == 40


def test_a_cancellation_seen_twice_undoes_once() -> None:
    account, (order,) = account_with("500")
    earned = account.new_entries[0]
    (reversed_entry,) = account.cancel_order(
        PROGRAM, order_entries=[earned], new_id=lambda: next(ids), order_id=order, now=NOW
    )
    again = account.cancel_order(
        PROGRAM, order_entries=[earned, reversed_entry], new_id=lambda: next(ids),
        order_id=order, now=NOW,
    )  # fmt: skip
    assert (again, account.balance) == ([], 0)


def test_a_merged_customers_lots_go_to_the_survivor_with_their_expiry_and_order() -> None:
    merged, (first, second) = account_with("300", "500", start=NOW - timedelta(days=10))
    merged.redeem(entry_id=next(ids), order_id=uuid4(), points=40, now=NOW)  # 10 of 50 left
    survivor, _ = account_with("1000")
    expiries = [lot.expires_at for lot in merged.lots]
    merged.new_entries.clear()
    survivor.new_entries.clear()

    made = merged.transfer_to(survivor, new_id=lambda: next(ids), now=NOW)

    assert (merged.balance, merged.lots) == (0, [])
    assert [(e.kind, e.points, e.balance) for e in merged.new_entries] == [
        (EntryKind.TRANSFERRED, -40, 0)
    ]
    assert [(e.kind, e.points, e.order_id, e.expires_at) for e in survivor.new_entries] == [
        (EntryKind.TRANSFERRED, 40, second, expiries[0])
    ]
    assert survivor.balance == 140
    assert len(made) == 2
    assert first not in {lot.order_id for lot in survivor.lots}
    # the order the transferred lot came from, cancelled later, takes it back in the survivor's
    (transferred,) = survivor.new_entries
    (reversed_entry,) = survivor.cancel_order(
        PROGRAM, order_entries=[transferred], new_id=lambda: next(ids), order_id=second, now=NOW
    )
    assert (reversed_entry.kind, reversed_entry.points, survivor.balance) == (
        EntryKind.REVERSED, -40, 100,
    )  # fmt: skip


def test_an_empty_account_transfers_nothing() -> None:
    merged, survivor = LoyaltyAccount(uuid4()), LoyaltyAccount(uuid4())

    assert merged.transfer_to(survivor, new_id=lambda: next(ids), now=NOW) == []
    assert (merged.version, survivor.version) == (0, 0)


def test_what_is_left_of_expired_lots_expires_as_one_entry() -> None:
    account, _ = account_with("300", "500", start=NOW - timedelta(days=400))
    account.redeem(entry_id=next(ids), order_id=uuid4(), points=10, now=NOW)

    expired = account.expire(entry_id=next(ids), now=NOW)

    assert expired is not None
    assert (expired.kind, expired.points, expired.balance) == (EntryKind.EXPIRED, -70, 0)
    assert account.lots == []
    assert account.expire(entry_id=next(ids), now=NOW) is None


@pytest.mark.parametrize(
    ("earned", "tier"),
    [(0, Tier.BRONZE), (999, Tier.BRONZE), (1000, Tier.SILVER), (5000, Tier.GOLD)],
)
def test_the_tier_follows_the_years_earnings(earned: int, tier: Tier) -> None:
    assert PROGRAM.tier_for(earned) is tier
