"""Rule segments and their members in the database."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.orm import Session

from crm_analytics.adapters.orm import customer_facts, segment_members, segments
from crm_analytics.adapters.segment_query import COUNTED, matching, rule_clause
from crm_analytics.domain.rule_segments import Membership, Segment
from crm_analytics.domain.rules import Condition, ConditionGroup, Match, SegmentRule

members = segment_members.c


def rule_to_json(rule: SegmentRule) -> dict[str, Any]:
    return {
        "match": rule.match.value,
        "groups": [
            {
                "match": group.match.value,
                "conditions": [
                    {"field": c.field, "operator": c.operator, "values": list(c.values)}
                    for c in group.conditions
                ],
            }
            for group in rule.groups
        ],
    }


def rule_from_json(data: dict[str, Any]) -> SegmentRule:
    """A stored rule, as it was checked when it was written."""
    return SegmentRule(
        Match(data["match"]),
        tuple(
            ConditionGroup(
                Match(group["match"]),
                tuple(
                    Condition(c["field"], c["operator"], tuple(c["values"]))
                    for c in group["conditions"]
                ),
            )
            for group in data["groups"]
        ),
    )


class SegmentRepository:
    def __init__(self, session: Session, track: Callable[[Segment], None]) -> None:
        self.session = session
        self.track = track

    def add(self, segment: Segment) -> None:
        self.session.execute(sa.insert(segments).values(**self._row(segment)))
        self.track(segment)

    def get(self, segment_id: UUID, *, for_update: bool = False) -> Segment | None:
        statement = sa.select(segments).where(segments.c.id == str(segment_id))
        if for_update:
            statement = statement.with_for_update()
        row = self.session.execute(statement).first()
        if row is None:
            return None
        segment = self._segment(row)
        self.track(segment)
        return segment

    def save(self, segment: Segment) -> None:
        row = self._row(segment)
        self.session.execute(
            sa.update(segments).where(segments.c.id == row.pop("id")).values(**row)
        )

    def remove(self, segment: Segment) -> None:
        self.session.execute(sa.delete(segments).where(segments.c.id == str(segment.id)))

    def newest_first(self, after: tuple[datetime, UUID] | None, limit: int) -> list[Segment]:
        statement = sa.select(segments).order_by(segments.c.created_at.desc(), segments.c.id.desc())
        if after is not None:
            at, segment_id = after
            statement = statement.where(
                sa.or_(
                    segments.c.created_at < at,
                    sa.and_(segments.c.created_at == at, segments.c.id < str(segment_id)),
                )
            )
        return [self._segment(row) for row in self.session.execute(statement.limit(limit))]

    def every(self) -> list[Segment]:
        """Every segment, oldest first, not tracked (read to check memberships)."""
        statement = sa.select(segments).order_by(segments.c.created_at, segments.c.id)
        return [self._segment(row) for row in self.session.execute(statement)]

    @staticmethod
    def _row(segment: Segment) -> dict[str, Any]:
        return {
            "id": str(segment.id),
            "name": segment.name,
            "description": segment.description,
            "rule": rule_to_json(segment.rule),
            "version": segment.version,
            "created_by": segment.created_by,
            "created_at": segment.created_at,
            "updated_at": segment.updated_at,
        }

    @staticmethod
    def _segment(row: Any) -> Segment:
        return Segment(
            id=UUID(row.id),
            name=row.name,
            description=row.description,
            rule=rule_from_json(row.rule),
            version=row.version,
            created_by=row.created_by,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


class MembershipRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def count_matching(self, rule: SegmentRule, today: date) -> int:
        statement = sa.select(sa.func.count()).select_from(customer_facts)
        return int(self.session.execute(statement.where(matching(rule, today))).scalar_one())

    def populate(self, segment_id: UUID, rule: SegmentRule, today: date) -> int:
        """A new segment's members: every customer the rule holds for, at version 1."""
        chosen = sa.select(
            sa.literal(str(segment_id)), customer_facts.c.customer_id, sa.true(), sa.literal(1)
        ).where(matching(rule, today))
        self.session.execute(
            sa.insert(segment_members).from_select(
                ["segment_id", "customer_id", "member", "version"], chosen
            )
        )
        return self.count(segment_id)

    def count(self, segment_id: UUID) -> int:
        statement = sa.select(sa.func.count()).where(
            members.segment_id == str(segment_id), members.member.is_(True)
        )
        return int(self.session.execute(statement).scalar_one())

    def page(self, segment_id: UUID, after: str | None, limit: int) -> list[str]:
        statement = (
            sa.select(members.customer_id)
            .where(members.segment_id == str(segment_id), members.member.is_(True))
            .order_by(members.customer_id)
            .limit(limit)
        )
        if after is not None:
            statement = statement.where(members.customer_id > after)
        return list(self.session.scalars(statement))

    def differences(
        self, segment_id: UUID, rule: SegmentRule, today: date
    ) -> tuple[list[tuple[str, Membership | None]], list[tuple[str, Membership]]]:
        """(who matches the rule and is not a member, who is a member and does not match)."""
        row = sa.and_(
            members.segment_id == str(segment_id),
            members.customer_id == customer_facts.c.customer_id,
        )
        joining = self.session.execute(
            sa.select(customer_facts.c.customer_id, members.member, members.version)
            .select_from(customer_facts.outerjoin(segment_members, row))
            .where(matching(rule, today), sa.or_(members.member.is_(None), ~members.member))
            .order_by(customer_facts.c.customer_id)
        )
        still = sa.select(customer_facts.c.customer_id).where(matching(rule, today))
        leaving = self.session.execute(
            sa.select(members.customer_id, members.version)
            .where(
                members.segment_id == str(segment_id),
                members.member.is_(True),
                members.customer_id.not_in(still),
            )
            .order_by(members.customer_id)
        )
        return (
            [
                (r.customer_id, Membership(False, r.version) if r.version is not None else None)
                for r in joining
            ],
            [(r.customer_id, Membership(True, r.version)) for r in leaving],
        )

    def of_customer(self, customer_id: str) -> dict[UUID, Membership]:
        """The customer's memberships by segment id, locked until commit."""
        rows = self.session.execute(
            sa.select(members.segment_id, members.member, members.version)
            .where(members.customer_id == customer_id)
            .with_for_update()
        )
        return {UUID(r.segment_id): Membership(r.member, r.version) for r in rows}

    def segments_matching(
        self, customer_id: str, candidates: Sequence[Segment], today: date
    ) -> set[UUID]:
        """Which of `candidates` the customer belongs to now: one query for all of them."""
        if not candidates:
            return set()
        tests = [
            sa.case((rule_clause(segment.rule, today), True), else_=False).label(f"s{index}")
            for index, segment in enumerate(candidates)
        ]
        row = self.session.execute(
            sa.select(*tests).where(customer_facts.c.customer_id == customer_id, COUNTED)
        ).first()
        if row is None:
            return set()
        return {segment.id for segment, holds in zip(candidates, row, strict=True) if holds}

    def put(self, segment_id: UUID, customer_id: str, membership: Membership) -> None:
        key = sa.and_(members.segment_id == str(segment_id), members.customer_id == customer_id)
        updated = self.session.execute(
            sa.update(segment_members)
            .where(key)
            .values(member=membership.member, version=membership.version)
        )
        if updated.rowcount == 0:  # type: ignore[attr-defined]
            self.session.execute(
                sa.insert(segment_members).values(
                    segment_id=str(segment_id),
                    customer_id=customer_id,
                    member=membership.member,
                    version=membership.version,
                )
            )

    def drop(self, segment_id: UUID) -> None:
        self.session.execute(
            sa.delete(segment_members).where(members.segment_id == str(segment_id))
        )
