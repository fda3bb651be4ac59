"""Rule segments between the domain and crm.analytics.v1 messages."""

from __future__ import annotations

from crm_platform import enums
from crm_platform.parsing import timestamp
from crm_proto.crm.analytics.v1 import analytics_pb2
from crm_proto.crm.common.v1 import common_pb2

from crm_analytics.domain.rule_segments import Actor, SegmentSnapshot
from crm_analytics.domain.rules import Match, SegmentRule, parse_rule

_MATCHES = {
    analytics_pb2.MATCH_UNSPECIFIED: None,
    analytics_pb2.MATCH_ALL: Match.ALL,
    analytics_pb2.MATCH_ANY: Match.ANY,
}
_MATCH_NUMBERS = {Match.ALL: analytics_pb2.MATCH_ALL, Match.ANY: analytics_pb2.MATCH_ANY}


def rule_from_proto(message: analytics_pb2.SegmentRule, path: str = "rule") -> SegmentRule:
    """The rule a request holds, checked (ValidationFailed naming each mistake's path)."""
    return parse_rule(
        _MATCHES.get(message.match),
        [
            (
                _MATCHES.get(group.match),
                [(c.field, c.operator, list(c.values)) for c in group.conditions],
            )
            for group in message.groups
        ],
        path,
    )


def rule_to_proto(rule: SegmentRule) -> analytics_pb2.SegmentRule:
    return analytics_pb2.SegmentRule(
        match=_MATCH_NUMBERS[rule.match],
        groups=[
            analytics_pb2.ConditionGroup(
                match=_MATCH_NUMBERS[group.match],
                conditions=[
                    analytics_pb2.Condition(field=c.field, operator=c.operator, values=c.values)
                    for c in group.conditions
                ],
            )
            for group in rule.groups
        ],
    )


def segment_to_proto(segment: SegmentSnapshot) -> analytics_pb2.Segment:
    return analytics_pb2.Segment(
        id=str(segment.id),
        name=segment.name,
        description=segment.description,
        rule=rule_to_proto(segment.rule),
        member_count=segment.member_count,
        version=segment.version,
        created_by=segment.created_by,
        created_at=timestamp(segment.created_at),
        updated_at=timestamp(segment.updated_at),
    )


def actor_from_proto(actor: common_pb2.Actor) -> Actor | None:
    """Who an event names as its actor; None when it names nobody."""
    if not actor.subject:
        return None
    kind = enums.key(common_pb2.ActorKind.DESCRIPTOR, actor.kind) or "system"
    return Actor(actor.subject, kind)


def actor_to_proto(actor: Actor) -> common_pb2.Actor:
    kind = enums.number(common_pb2.ActorKind.DESCRIPTOR, actor.kind) or 0
    return common_pb2.Actor(subject=actor.subject, kind=kind)  # type: ignore[arg-type]
