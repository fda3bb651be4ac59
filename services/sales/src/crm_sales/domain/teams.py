"""A sales team: its members (who works with whom, and how many leads a month each takes), the
rule by which new leads come to it, its pipeline's stage probabilities and its scoring points.

Admins and managers change a team; every change raises its version. Pure Python.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from crm_platform.errors import (
    FailedPrecondition,
    FieldViolation,
    PermissionDenied,
    ValidationFailed,
)

from crm_sales.domain.opportunities import PipelineStages
from crm_sales.domain.values import Actor

NAME_MAX_LENGTH = 100
USER_MAX_LENGTH = 100


class LeadSource(StrEnum):
    WEB = "web"
    PHONE = "phone"
    SALES_REP = "sales_rep"
    DISTRIBUTOR = "distributor"
    PARTNER = "partner"
    CAMPAIGN = "campaign"
    PORTAL = "portal"


class CompanySize(StrEnum):
    SOLO = "solo"
    SMALL = "small"
    MEDIUM = "medium"
    LARGE = "large"
    ENTERPRISE = "enterprise"


@dataclass(frozen=True)
class AssignmentRule:
    """Which new leads a team takes; an empty set matches any value."""

    regions: frozenset[str] = frozenset()  # lowercase
    sources: frozenset[LeadSource] = frozenset()
    sizes: frozenset[CompanySize] = frozenset()

    @classmethod
    def of(
        cls,
        regions: Iterable[str] = (),
        sources: Iterable[LeadSource] = (),
        sizes: Iterable[CompanySize] = (),
    ) -> AssignmentRule:
        return cls(
            frozenset(normal_region(region) for region in regions if region.strip()),
            frozenset(sources),
            frozenset(sizes),
        )

    def matches(self, region: str, source: LeadSource, size: CompanySize | None) -> bool:
        return (
            (not self.regions or normal_region(region) in self.regions)
            and (not self.sources or source in self.sources)
            and (not self.sizes or size in self.sizes)
        )


def normal_region(region: str) -> str:
    return " ".join(region.split()).lower()


@dataclass(frozen=True)
class Member:
    user_id: str
    is_manager: bool
    monthly_capacity: int  # leads a month this member takes by rule
    active: bool  # the team's say
    account_disabled: bool = False  # identity's say: a disabled account takes no leads

    @property
    def assignable(self) -> bool:
        return self.active and not self.account_disabled


@dataclass
class Team:
    id: UUID
    name: str
    rule: AssignmentRule
    # open stage -> percent of winning there; the stages left out keep the company's default
    stage_probabilities: dict[str, Decimal]
    score_points: dict[str, int]  # over the default scoring table
    members: dict[str, Member]  # by user id
    version: int
    created_at: datetime
    updated_at: datetime
    _events: list[object] = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def create(
        cls,
        *,
        id: UUID,
        name: str,
        rule: AssignmentRule,
        stage_probabilities: Mapping[str, str],
        score_points: Mapping[str, int],
        actor: Actor,
        now: datetime,
    ) -> Team:
        _may_change(actor)
        return cls(
            id=id,
            name=_name(name),
            rule=rule,
            stage_probabilities=_probabilities(stage_probabilities),
            score_points=dict(score_points),
            members={},
            version=1,
            created_at=now,
            updated_at=now,
        )

    def update(
        self,
        actor: Actor,
        now: datetime,
        *,
        name: str | None = None,
        rule: AssignmentRule | None = None,
        stage_probabilities: Mapping[str, str] | None = None,
        score_points: Mapping[str, int] | None = None,
    ) -> None:
        """Changes what is given (None: unchanged)."""
        _may_change(actor)
        new_name = self.name if name is None else _name(name)
        probabilities = (
            self.stage_probabilities
            if stage_probabilities is None
            else _probabilities(stage_probabilities)
        )
        self.name, self.stage_probabilities = new_name, probabilities
        if rule is not None:
            self.rule = rule
        if score_points is not None:
            self.score_points = dict(score_points)
        self._changed(now)

    def set_member(
        self,
        actor: Actor,
        now: datetime,
        *,
        user_id: str,
        is_manager: bool,
        monthly_capacity: int,
        active: bool,
    ) -> None:
        _may_change(actor)
        user = user_id.strip()
        if not user or len(user) > USER_MAX_LENGTH:
            raise ValidationFailed(
                FieldViolation("user_id", f"must be 1 to {USER_MAX_LENGTH} characters")
            )
        if monthly_capacity < 0:
            raise ValidationFailed(FieldViolation("monthly_capacity", "must not be negative"))
        self.members[user] = Member(user, is_manager, monthly_capacity, active)
        self._changed(now)

    def remove_member(self, actor: Actor, now: datetime, user_id: str) -> None:
        _may_change(actor)
        if user_id not in self.members:
            raise FailedPrecondition(f"{user_id} is not a member of team {self.name}")
        del self.members[user_id]
        self._changed(now)

    @property
    def active_members(self) -> list[Member]:
        """Those who may be assigned leads, in a stable order (the round robin's)."""
        return sorted(
            (member for member in self.members.values() if member.assignable),
            key=lambda member: member.user_id,
        )

    def pipeline_stages(self) -> PipelineStages:
        return PipelineStages.of(self.stage_probabilities, "stage_probabilities")

    def pull_events(self) -> list[object]:
        events, self._events = self._events, []
        return events

    def _changed(self, now: datetime) -> None:
        self.version += 1
        self.updated_at = now


def _may_change(actor: Actor) -> None:
    if not actor.is_manager:
        raise PermissionDenied("only an admin or a manager may change a team")


def _name(name: str) -> str:
    text = " ".join(name.split())
    if not text or len(text) > NAME_MAX_LENGTH:
        raise ValidationFailed(FieldViolation("name", f"must be 1 to {NAME_MAX_LENGTH} characters"))
    return text


def _probabilities(stages: Mapping[str, str]) -> dict[str, Decimal]:
    """Percents by open stage name, checked as the pipeline reads them."""
    PipelineStages.of(stages, "stage_probabilities")
    return {name: Decimal(value) for name, value in stages.items()}
