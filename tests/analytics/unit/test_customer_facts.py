import dataclasses
from datetime import UTC, date, datetime, timedelta
from typing import Any

from crm_analytics.domain.customer_facts import CustomerFacts, CustomerSnapshot

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


BASE = CustomerSnapshot(
    customer_id="c1",
    region="North",
    city="Harbin",
    gender="female",
    birth_date=date(1990, 1, 1),
    acquisition_source="web",
    blacklisted=False,
    merged_into=None,
    registered_at=T0,
)


def snapshot(**changes: Any) -> CustomerSnapshot:
    return dataclasses.replace(BASE, **changes)


def test_a_snapshot_registers_the_customer() -> None:
    facts = CustomerFacts("c1")
    assert not facts.counted

    assert facts.apply_snapshot(snapshot(), 1, T0)

    assert facts.counted
    assert (facts.region, facts.snapshot_version, facts.last_event_at) == ("North", 1, T0)


def test_a_stale_or_repeated_snapshot_changes_nothing() -> None:
    facts = CustomerFacts("c1")
    facts.apply_snapshot(snapshot(region="South"), 2, T0 + timedelta(seconds=1))

    assert not facts.apply_snapshot(snapshot(region="North"), 1, T0)
    assert not facts.apply_snapshot(snapshot(region="South"), 2, T0 + timedelta(seconds=1))
    assert facts.region == "South"
    assert facts.last_event_at == T0 + timedelta(seconds=1)


def test_a_blacklisting_before_the_registration_survives_it() -> None:
    facts = CustomerFacts("c1")
    assert facts.set_blacklisted(True, 3, T0)
    assert not facts.counted  # known to be blacklisted, not yet registered

    assert facts.apply_snapshot(snapshot(blacklisted=False), 1, T0 - timedelta(seconds=5))

    assert facts.counted
    assert facts.blacklisted
    assert facts.region == "North"
    assert facts.last_event_at == T0  # the newest event applied, not the last to arrive


def test_a_newer_snapshot_carries_the_blacklist_flag() -> None:
    facts = CustomerFacts("c1")
    facts.set_blacklisted(True, 2, T0)

    facts.apply_snapshot(snapshot(blacklisted=False), 3, T0)

    assert not facts.blacklisted
    assert facts.blacklist_version == 3


def test_an_older_unblacklisting_does_not_lift_a_newer_blacklisting() -> None:
    facts = CustomerFacts("c1")
    facts.set_blacklisted(True, 4, T0)

    assert not facts.set_blacklisted(False, 3, T0)
    assert facts.blacklisted


def test_a_merge_before_the_registration_is_not_undone_by_it() -> None:
    facts = CustomerFacts("c1")
    assert facts.mark_merged("survivor", 2, T0)

    facts.apply_snapshot(snapshot(merged_into=None), 1, T0)

    assert facts.merged_into == "survivor"
    assert facts.registered
    assert not facts.counted


def test_a_repeated_merge_changes_nothing() -> None:
    facts = CustomerFacts("c1")
    facts.mark_merged("survivor", 2, T0)

    assert not facts.mark_merged("survivor", 2, T0)
