"""Rule segments through the real gRPC server, their members kept current by real customer
events through RabbitMQ, and their events published by the real relay (PostgreSQL and
SQLite)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import grpc
import pytest
from crm_platform.testing.processes import wait_until
from crm_platform.testing.tokens import bearer, service_token, staff_token
from crm_proto.crm.analytics.v1 import analytics_pb2, events_pb2
from crm_proto.crm.common.v1 import common_pb2
from crm_proto.crm.customer.v1 import customer_pb2
from crm_proto.crm.customer.v1 import events_pb2 as customer_events
from google.protobuf import field_mask_pb2

from tests.analytics.integration.harness import (
    WAIT_SECONDS,
    EventObserver,
    EventPublisher,
    RunningAnalytics,
)
from tests.analytics.integration.test_segments import new_id, register, settle
from tests.analytics.snapshots import customer

pytestmark = pytest.mark.integration


@pytest.fixture
def observer(amqp_url: str) -> Iterator[EventObserver]:
    observer = EventObserver(amqp_url, "crm.analytics.v1.#")
    yield observer
    observer.close()


def condition(field: str, operator: str, *values: str) -> analytics_pb2.Condition:
    return analytics_pb2.Condition(field=field, operator=operator, values=values)


def rule(
    *conditions: analytics_pb2.Condition, match: int = analytics_pb2.MATCH_ALL
) -> analytics_pb2.SegmentRule:
    """One group of `conditions`, combined by `match`."""
    return analytics_pb2.SegmentRule(
        groups=[analytics_pb2.ConditionGroup(match=match, conditions=conditions)]
    )


def members(analytics: RunningAnalytics, segment_id: str, page_size: int = 0) -> list[str]:
    found: list[str] = []
    token = ""
    while True:
        page = analytics.segments_stub.ListSegmentMembers(
            analytics_pb2.ListSegmentMembersRequest(
                segment_id=segment_id,
                page=common_pb2.PageRequest(page_size=page_size, page_token=token),
            ),
            timeout=5,
        )
        found.extend(page.customer_ids)
        token = page.page.next_page_token
        if not token:
            return found


def preview(analytics: RunningAnalytics, segment_rule: analytics_pb2.SegmentRule) -> int:
    return analytics.segments_stub.PreviewSegment(
        analytics_pb2.PreviewSegmentRequest(rule=segment_rule), timeout=5
    ).member_count


def create(
    analytics: RunningAnalytics, segment_rule: analytics_pb2.SegmentRule, name: str = "Segment"
) -> analytics_pb2.Segment:
    return analytics.segments_stub.CreateSegment(
        analytics_pb2.CreateSegmentRequest(name=name, rule=segment_rule),
        timeout=5,
        wait_for_ready=True,
    )


def update_customer(
    publisher: EventPublisher, customer_id: str, version: int, **fields: object
) -> None:
    publisher.publish(
        customer_events.CustomerUpdated(
            customer=customer(customer_id, version, **fields),
            version=version,
            actor=common_pb2.Actor(subject="rep-7", kind=common_pb2.ACTOR_KIND_STAFF),
        ),
        subject=customer_id,
    )


def test_preview_and_members_match_the_rule(
    publisher: EventPublisher, analytics: RunningAnalytics
) -> None:
    region = f"east-{uuid.uuid4().hex[:6]}"
    vip_women = [new_id() for _ in range(3)]
    for customer_id in vip_women:
        register(publisher, customer_id, region=region, tags=["vip"])
    register(publisher, new_id(), region=region, gender=customer_pb2.GENDER_MALE, tags=["vip"])
    register(publisher, new_id(), region=region)  # no tag
    register(publisher, new_id(), region="elsewhere", tags=["vip"])
    settle(publisher, analytics)
    segment_rule = rule(
        condition("region", "eq", region.upper()),  # regions compare without case
        condition("gender", "in", "female", "other"),
        condition("tag", "has_any", "VIP", "gold"),
    )

    assert preview(analytics, segment_rule) == 3
    segment = create(analytics, segment_rule, name="VIP women in the east")

    assert segment.member_count == 3
    assert segment.version == 1
    assert segment.created_by == "test-marketer"
    assert segment.rule.groups[0].conditions[0].values == [region]
    assert members(analytics, segment.id, page_size=2) == sorted(vip_women)
    got = analytics.segments_stub.GetSegment(
        analytics_pb2.GetSegmentRequest(id=segment.id), timeout=5
    )
    assert got.member_count == 3
    listed = analytics.segments_stub.ListSegments(analytics_pb2.ListSegmentsRequest(), timeout=5)
    assert segment.id in [s.id for s in listed.segments]


def test_groups_combine_with_or_and_sets_test_every_value(
    publisher: EventPublisher, analytics: RunningAnalytics
) -> None:
    region = f"west-{uuid.uuid4().hex[:6]}"
    young, tagged_both, emailable, other = new_id(), new_id(), new_id(), new_id()
    register(publisher, young, region=region, birth_date="2010-01-01")
    register(publisher, tagged_both, region=region, tags=["golf", "wine"])
    register(
        publisher, emailable, region=region, tags=["golf"],
        consents=[customer_pb2.Consent(channel=customer_pb2.CONSENT_CHANNEL_EMAIL, granted=True)],
    )  # fmt: skip
    register(publisher, other, region=region, tags=["golf"])
    settle(publisher, analytics)
    in_region = analytics_pb2.ConditionGroup(conditions=[condition("region", "eq", region)])
    either = analytics_pb2.ConditionGroup(
        match=analytics_pb2.MATCH_ANY,
        conditions=[
            condition("age_band", "eq", "under_18"),
            condition("tag", "has_all", "golf", "wine"),
            condition("consent", "has_any", "email"),
        ],
    )
    segment_rule = analytics_pb2.SegmentRule(
        match=analytics_pb2.MATCH_ALL, groups=[in_region, either]
    )

    segment = create(analytics, segment_rule)

    assert sorted(members(analytics, segment.id)) == sorted([young, tagged_both, emailable])
    none_of = rule(condition("region", "eq", region), condition("tag", "has_none", "wine"))
    assert preview(analytics, none_of) == 3


def test_a_customer_who_stops_matching_leaves_and_it_is_published(
    publisher: EventPublisher, analytics: RunningAnalytics, observer: EventObserver
) -> None:
    region = f"north-{uuid.uuid4().hex[:6]}"
    staying, leaving, joining = new_id(), new_id(), new_id()
    for customer_id in (staying, leaving):
        register(publisher, customer_id, region=region, tags=["vip"])
    register(publisher, joining, region=region)
    settle(publisher, analytics)
    segment = create(
        analytics, rule(condition("region", "eq", region), condition("tag", "has_any", "vip"))
    )
    created = observer.wait_for(
        lambda m: isinstance(m, events_pb2.SegmentCreated) and m.segment.id == segment.id,
        "SegmentCreated",
    )
    assert created.segment.member_count == 2

    update_customer(publisher, leaving, 2, region=region, tags=[])
    update_customer(publisher, joining, 2, region=region, tags=["vip"])

    wait_until(
        lambda: members(analytics, segment.id) == sorted([staying, joining]),
        timeout=WAIT_SECONDS,
        what="the members after the updates",
    )
    left = observer.wait_for(
        lambda m: isinstance(m, events_pb2.SegmentMembershipChanged) and m.customer_id == leaving,
        "the leave",
    )
    assert (left.segment_id, left.member, left.version) == (segment.id, False, 2)
    assert left.actor.subject == "rep-7"
    joined = observer.wait_for(
        lambda m: isinstance(m, events_pb2.SegmentMembershipChanged) and m.customer_id == joining,
        "the join",
    )
    assert (joined.member, joined.version, joined.segment_version) == (True, 1, 1)


def test_a_new_rule_moves_members_and_a_deleted_segment_is_gone(
    publisher: EventPublisher, analytics: RunningAnalytics, observer: EventObserver
) -> None:
    region = f"south-{uuid.uuid4().hex[:6]}"
    woman, man = new_id(), new_id()
    register(publisher, woman, region=region)
    register(publisher, man, region=region, gender=customer_pb2.GENDER_MALE)
    settle(publisher, analytics)
    segment = create(
        analytics, rule(condition("region", "eq", region), condition("gender", "eq", "female"))
    )
    stub = analytics.segments_stub
    new_rule = rule(condition("region", "eq", region), condition("gender", "ne", "female"))
    mask = field_mask_pb2.FieldMask(paths=["rule", "name"])

    with pytest.raises(grpc.RpcError) as stale:
        stub.UpdateSegment(
            analytics_pb2.UpdateSegmentRequest(
                id=segment.id, update_mask=mask, expected_version=7, name="Men", rule=new_rule
            ),
            timeout=5,
        )
    assert stale.value.code() == grpc.StatusCode.ABORTED
    changed = stub.UpdateSegment(
        analytics_pb2.UpdateSegmentRequest(
            id=segment.id, update_mask=mask, expected_version=1, name="Men", rule=new_rule
        ),
        timeout=5,
    )

    assert (changed.name, changed.version, changed.member_count) == ("Men", 2, 1)
    assert members(analytics, segment.id) == [man]
    moves = {
        (m.customer_id, m.member, m.segment_version)
        for m in observer.drain()
        if isinstance(m, events_pb2.SegmentMembershipChanged) and m.segment_id == segment.id
    }
    wait_until(
        lambda: (
            {
                (m.customer_id, m.member, m.segment_version)
                for m in observer.drain()
                if isinstance(m, events_pb2.SegmentMembershipChanged) and m.segment_id == segment.id
            }
            == {(woman, False, 2), (man, True, 2)}
        ),
        timeout=WAIT_SECONDS,
        what=f"the moves of the new rule (so far {moves})",
    )

    stub.DeleteSegment(analytics_pb2.DeleteSegmentRequest(id=segment.id), timeout=5)
    with pytest.raises(grpc.RpcError) as gone:
        stub.GetSegment(analytics_pb2.GetSegmentRequest(id=segment.id), timeout=5)
    assert gone.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.RpcError) as no_members:
        members(analytics, segment.id)
    assert no_members.value.code() == grpc.StatusCode.NOT_FOUND
    observer.wait_for(
        lambda m: isinstance(m, events_pb2.SegmentDeleted) and m.segment_id == segment.id,
        "SegmentDeleted",
    )


@pytest.mark.parametrize(
    ("bad", "path"),
    [
        (condition("shoe_size", "eq", "42"), "rule.groups[0].conditions[0].field"),
        (condition("gender", "like", "female"), "rule.groups[0].conditions[0].operator"),
        (condition("gender", "eq", "robot"), "rule.groups[0].conditions[0].values[0]"),
        (condition("gender", "eq", "female", "male"), "rule.groups[0].conditions[0].values"),
        (condition("consent", "has_any", "pigeon"), "rule.groups[0].conditions[0].values[0]"),
    ],
)
def test_a_rule_with_an_unknown_part_is_refused_naming_it(
    analytics: RunningAnalytics, bad: analytics_pb2.Condition, path: str
) -> None:
    with pytest.raises(grpc.RpcError) as refused:
        create(analytics, rule(bad), name="Never")

    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert path in (refused.value.details() or "")
    listed = analytics.segments_stub.ListSegments(analytics_pb2.ListSegmentsRequest(), timeout=5)
    assert "Never" not in [s.name for s in listed.segments]


def test_who_may_read_and_define_segments(analytics: RunningAnalytics) -> None:
    segment = create(analytics, rule(condition("blacklisted", "eq", "true")))
    stub = analytics.segments_stub
    request = analytics_pb2.ListSegmentMembersRequest(segment_id=segment.id)

    for token in (service_token("analytics:read"), staff_token("analyst")):
        stub.ListSegmentMembers(request, metadata=bearer(token), timeout=5)
    for token in (staff_token("sales_rep"), service_token("customers:read")):
        with pytest.raises(grpc.RpcError) as denied:
            stub.ListSegmentMembers(request, metadata=bearer(token), timeout=5)
        assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.RpcError) as analyst_defines:
        stub.CreateSegment(
            analytics_pb2.CreateSegmentRequest(name="x", rule=segment.rule),
            metadata=bearer(staff_token("analyst")),
            timeout=5,
        )
    assert analyst_defines.value.code() == grpc.StatusCode.PERMISSION_DENIED
