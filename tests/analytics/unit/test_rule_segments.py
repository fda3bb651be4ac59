"""A segment's definition, its versions, and the membership changes recorded for the outbox."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest
from crm_analytics.domain.rule_segments import (
    Actor,
    Membership,
    MembershipChanged,
    Segment,
    SegmentCreated,
    SegmentDeleted,
    SegmentUpdated,
)
from crm_analytics.domain.rules import Match, parse_rule
from crm_analytics.service_layer.memberships import refresh_customers
from crm_platform.errors import Conflict, ValidationFailed

from tests.analytics.unit.fakes import FakeUnitOfWork

T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)
T1 = datetime(2026, 1, 6, 9, tzinfo=UTC)
NORTH = parse_rule(None, [(None, [("region", "eq", ["north"])])])
SOUTH = parse_rule(Match.ANY, [(None, [("region", "eq", ["south"])])])


def segment() -> Segment:
    return Segment.define(
        name=" North ", description="", rule=NORTH, created_by="marketer-1", at=T0
    )


def test_a_new_segment_announces_itself_with_its_count() -> None:
    defined = segment()
    defined.created(12)

    [event] = defined.pull_events()
    assert isinstance(event, SegmentCreated)
    assert (event.segment.name, event.segment.member_count, event.segment.version) == (
        "North", 12, 1,
    )  # fmt: skip
    assert defined.pull_events() == []


def test_a_change_names_what_changed_and_bumps_the_version() -> None:
    defined = segment()
    changed = defined.change(
        frozenset({"name", "rule"}), expected_version=1, at=T1, name="North", rule=SOUTH
    )
    defined.updated(changed, 3)

    assert changed == ("rule",)
    assert (defined.version, defined.updated_at) == (2, T1)
    [event] = defined.pull_events()
    assert isinstance(event, SegmentUpdated)
    assert event.changed_fields == ("rule",)


def test_a_change_to_the_same_values_is_no_change() -> None:
    defined = segment()

    assert defined.change(frozenset({"name"}), expected_version=0, at=T1, name="North") == ()
    defined.updated((), 0)
    assert (defined.version, defined.pull_events()) == (1, [])


def test_a_stale_version_and_a_blank_name_are_refused() -> None:
    defined = segment()
    with pytest.raises(Conflict):
        defined.change(frozenset({"name"}), expected_version=4, at=T1, name="x")
    with pytest.raises(ValidationFailed):
        defined.change(frozenset({"name"}), expected_version=1, at=T1, name="  ")
    with pytest.raises(Conflict):
        defined.delete(expected_version=2)


def test_deleting_publishes_the_next_version() -> None:
    defined = segment()
    defined.delete(expected_version=1)

    assert defined.pull_events() == [SegmentDeleted(defined.id, 2)]


def test_an_event_moves_a_customer_in_and_out_once_each() -> None:
    uow = FakeUnitOfWork()
    defined = segment()
    uow.segments.rows.append(defined)
    customer_id = str(uuid.uuid4())
    rep = Actor("rep-1", "staff")
    today = date(2026, 1, 6)

    uow.memberships.matching[customer_id] = {defined.id}
    assert refresh_customers(uow, [customer_id], rep, today) == 1
    assert refresh_customers(uow, [customer_id], rep, today) == 0  # still in: nothing new
    uow.memberships.matching[customer_id] = set()
    assert refresh_customers(uow, [customer_id], None, today) == 1

    assert uow.memberships.rows[(defined.id, customer_id)] == Membership(False, 2)
    assert uow.membership_changes.pull_events() == [
        MembershipChanged(defined.id, customer_id, True, 1, 1, rep),
        MembershipChanged(defined.id, customer_id, False, 2, 1, None),
    ]
