"""Rule segments: a marketer's named rule, and the membership changes it publishes.

The members themselves are computed by the read model from the rule (who matches now); what
the domain keeps is the definition with its version, and the events: SegmentCreated,
SegmentUpdated, SegmentDeleted, and one MembershipChanged per customer who joins or leaves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from crm_platform.errors import Conflict, FieldViolation, ValidationFailed

from crm_analytics.domain.rules import SegmentRule

UPDATABLE = ("name", "description", "rule")


@dataclass(frozen=True)
class Actor:
    """Who caused a change: a subject and its kind (staff, customer, partner, service, system)."""

    subject: str
    kind: str


@dataclass(frozen=True)
class SegmentSnapshot:
    id: UUID
    name: str
    description: str
    rule: SegmentRule
    member_count: int
    version: int
    created_by: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class SegmentCreated:
    segment: SegmentSnapshot


@dataclass(frozen=True)
class SegmentUpdated:
    segment: SegmentSnapshot
    changed_fields: tuple[str, ...]


@dataclass(frozen=True)
class SegmentDeleted:
    segment_id: UUID
    version: int


@dataclass(frozen=True)
class MembershipChanged:
    segment_id: UUID
    customer_id: str
    member: bool
    version: int  # of this customer's membership in this segment
    segment_version: int
    actor: Actor | None  # None: the request's principal


@dataclass
class Segment:
    id: UUID
    name: str
    description: str
    rule: SegmentRule
    version: int
    created_by: str
    created_at: datetime
    updated_at: datetime
    _events: list[Any] = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def define(
        cls, *, name: str, description: str, rule: SegmentRule, created_by: str, at: datetime
    ) -> Segment:
        return cls(
            id=uuid4(),
            name=_name(name),
            description=description.strip(),
            rule=rule,
            version=1,
            created_by=created_by,
            created_at=at,
            updated_at=at,
        )

    def created(self, member_count: int) -> None:
        self._events.append(SegmentCreated(self.snapshot(member_count)))

    def change(
        self,
        fields: frozenset[str],
        *,
        expected_version: int,
        at: datetime,
        name: str = "",
        description: str = "",
        rule: SegmentRule | None = None,
    ) -> tuple[str, ...]:
        """Take the named fields; the fields whose value changed, in UPDATABLE order."""
        self._expect(expected_version)
        changed = []
        if "name" in fields and _name(name) != self.name:
            self.name = _name(name)
            changed.append("name")
        if "description" in fields and description.strip() != self.description:
            self.description = description.strip()
            changed.append("description")
        if "rule" in fields:
            if rule is None:
                raise ValidationFailed(FieldViolation("rule", "is required to change the rule"))
            if rule != self.rule:
                self.rule = rule
                changed.append("rule")
        if changed:
            self.version += 1
            self.updated_at = at
        return tuple(changed)

    def updated(self, changed: tuple[str, ...], member_count: int) -> None:
        if changed:
            self._events.append(SegmentUpdated(self.snapshot(member_count), changed))

    def delete(self, expected_version: int) -> None:
        self._expect(expected_version)
        self.version += 1
        self._events.append(SegmentDeleted(self.id, self.version))

    def snapshot(self, member_count: int) -> SegmentSnapshot:
        return SegmentSnapshot(
            id=self.id,
            name=self.name,
            description=self.description,
            rule=self.rule,
            member_count=member_count,
            version=self.version,
            created_by=self.created_by,
            created_at=self.created_at,
            updated_at=self.updated_at,
        )

    def pull_events(self) -> list[Any]:
        events, self._events = self._events, []
        return events

    def _expect(self, expected_version: int) -> None:
        if expected_version and expected_version != self.version:
            raise Conflict(
                f"segment {self.id} is at version {self.version}, not {expected_version}"
            )


@dataclass(frozen=True)
class Membership:
    """A customer's place in one segment: member or not, and how many times it changed."""

    member: bool
    version: int


class MembershipChanges:
    """The joins and leaves of one transaction, handed to the outbox at commit."""

    def __init__(self) -> None:
        self._events: list[MembershipChanged] = []

    def record(
        self,
        segment: Segment,
        customer_id: str,
        before: Membership | None,
        member: bool,
        actor: Actor | None,
    ) -> Membership | None:
        """The customer's new membership, or None when it does not change."""
        if (before.member if before else False) == member:
            return None
        after = Membership(member, (before.version if before else 0) + 1)
        self._events.append(
            MembershipChanged(
                segment.id, customer_id, member, after.version, segment.version, actor
            )
        )
        return after

    def pull_events(self) -> list[Any]:
        events, self._events = self._events, []
        return list(events)


def _name(name: str) -> str:
    cleaned = name.strip()
    if not cleaned:
        raise ValidationFailed(FieldViolation("name", "is required"))
    return cleaned
