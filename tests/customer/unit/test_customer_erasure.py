"""A customer's erasure: what the record keeps and loses, merged records with it, and the
confirmations the erasure waits for."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import pytest
from crm_customer.domain import events
from crm_customer.domain.erasure import SERVICE, erase
from crm_customer.domain.loyalty import EntryKind, LoyaltyAccount, LoyaltyProgram
from crm_customer.domain.model import Customer, merge
from crm_customer.domain.values import (
    Actor,
    ActorKind,
    ConsentChannel,
    Gender,
    Profile,
)
from crm_platform.errors import FailedPrecondition
from crm_platform.privacy import ERASED

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
ADMIN = Actor("admin-1", ActorKind.STAFF)
SERVICES = ("customer", "sales", "marketing")


def customer(**fields: object) -> Customer:
    profile = Profile(
        name="Wang Fang", email="wang@example.cn", phone="+8613800138000", region="East",
        city="Shanghai", birth_date=date(1990, 5, 1), gender=Gender.FEMALE, tags=("vip",),
        preferences={"language": "zh"},
    )  # fmt: skip
    record = Customer.register(profile, customer_id=uuid4(), now=NOW, phone_region="CN")
    record.set_consent(ConsentChannel.EMAIL, True, now=NOW)
    record.pull_events()
    for name, value in fields.items():
        setattr(record, name, value)
    return record


def test_erasure_anonymizes_the_profile_and_keeps_consents_tags_and_region() -> None:
    record = customer()
    version = record.version

    erasure = erase(record, [], erasure_id=uuid4(), expected=SERVICES, actor=ADMIN, now=NOW)

    profile = record.profile
    assert profile.name == ERASED
    assert (profile.email, profile.phone, profile.city, profile.birth_date, profile.gender) == (
        None, None, None, None, None,
    )  # fmt: skip
    assert profile.preferences == {}
    assert (profile.region, profile.tags) == ("East", ("vip",))
    assert record.consents[ConsentChannel.EMAIL].granted is True
    assert record.version == version + 1
    assert erasure.pull_events() == [
        events.CustomerErased(record.id, erasure.id, NOW, record.version)
    ]


def test_records_merged_into_it_are_erased_with_it() -> None:
    survivor, merged = customer(), customer()
    merged.profile = Profile(name="Fang Wang", email="fang@example.cn")
    merge(survivor, merged, now=NOW)

    erase(survivor, [merged], erasure_id=uuid4(), expected=SERVICES, actor=ADMIN, now=NOW)

    assert (merged.profile.name, merged.profile.email) == (ERASED, None)


def test_a_record_merged_away_is_not_erased_alone() -> None:
    survivor, merged = customer(), customer()
    merge(survivor, merged, now=NOW)

    with pytest.raises(FailedPrecondition, match="erase that one"):
        erase(merged, [], erasure_id=uuid4(), expected=SERVICES, actor=ADMIN, now=NOW)


def test_the_erasure_is_complete_once_every_service_confirmed_once() -> None:
    erasure = erase(customer(), [], erasure_id=uuid4(), expected=SERVICES, actor=ADMIN, now=NOW)
    later = NOW + timedelta(seconds=5)

    assert erasure.pending == ("sales", "marketing")
    assert erasure.confirmations == {SERVICE: NOW}
    assert erasure.confirm("sales", later) is True
    assert erasure.confirm("sales", later + timedelta(seconds=1)) is False
    assert not erasure.complete
    assert erasure.completed_at is None
    assert erasure.confirm("marketing", later) is True
    assert erasure.complete
    assert erasure.completed_at == later
    assert erasure.confirmations["sales"] == later


def test_the_loyalty_accounts_open_points_are_forfeited() -> None:
    account = LoyaltyAccount(uuid4())
    program = LoyaltyProgram()
    account.earn(program, entry_id=uuid4(), order_id=uuid4(), total=program.earn_per * 7, now=NOW)

    entry = account.forfeit(entry_id=uuid4(), now=NOW)

    assert entry is not None
    assert (entry.kind, entry.points) == (EntryKind.EXPIRED, -7)
    assert (account.balance, account.lots) == (0, [])
    assert account.forfeit(entry_id=uuid4(), now=NOW) is None
