"""Who works a new case: the service teams, the agents with their skills, capacity and
availability, and the choice of agent.

- The case's type may require a skill; only available agents with it and with room under their
  capacity (open cases) are candidates.
- Among them the one with the fewest open cases; among those tied, round robin: in user-id
  order, starting after the agent who got the previous case needing that skill (its cursor).
- Nobody a candidate: the case stays in the unassigned queue.

Pure Python: the open case counts and the cursor come from storage.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from crm_platform.errors import FieldViolation, PermissionDenied, ValidationFailed

from crm_service.domain.values import Actor

NAME_MAX_LENGTH = 100
USER_MAX_LENGTH = 100
SKILL_MAX_LENGTH = 50
MAX_SKILLS = 20
MAX_CAPACITY = 1000
ANY_SKILL = ""  # the cursor of case types that require no skill


class AssignmentReason(StrEnum):
    ROUTED = "routed"
    MANUAL = "manual"


@dataclass(frozen=True)
class Team:
    id: UUID
    name: str
    manager_id: str | None
    version: int
    created_at: datetime

    @classmethod
    def create(cls, actor: Actor, *, id: UUID, name: str, manager_id: str, now: datetime) -> Team:
        _manager_only(actor, "create teams")
        text = " ".join(name.split())
        if not text or len(text) > NAME_MAX_LENGTH:
            raise ValidationFailed(
                FieldViolation("name", f"must be 1 to {NAME_MAX_LENGTH} characters")
            )
        return cls(id, text, _user(manager_id, "manager_id") or None, 1, now)


@dataclass(frozen=True)
class Agent:
    user_id: str
    team_id: UUID | None
    skills: frozenset[str]
    capacity: int
    available: bool
    version: int
    updated_at: datetime

    @classmethod
    def put(
        cls,
        actor: Actor,
        existing: Agent | None,
        *,
        user_id: str,
        team_id: UUID | None,
        skills: Iterable[str],
        capacity: int,
        available: bool,
        now: datetime,
    ) -> Agent:
        """A new agent profile, or `existing` changed (its version raised)."""
        _manager_only(actor, "change agents")
        user = _user(user_id, "user_id")
        if not user:
            raise ValidationFailed(FieldViolation("user_id", "is required"))
        if not 0 <= capacity <= MAX_CAPACITY:
            raise ValidationFailed(FieldViolation("capacity", f"must be 0 to {MAX_CAPACITY}"))
        version = 1 if existing is None else existing.version + 1
        return cls(user, team_id, skills_of(skills), capacity, available, version, now)

    def with_availability(self, actor: Actor, available: bool, now: datetime) -> Agent:
        """The agent themselves, or a manager."""
        if not (actor.is_manager or (actor.is_agent and actor.subject == self.user_id)):
            raise PermissionDenied("an agent sets only their own availability")
        return replace(self, available=available, version=self.version + 1, updated_at=now)


@dataclass(frozen=True)
class AgentLoad:
    agent: Agent
    open_cases: int

    @property
    def has_room(self) -> bool:
        return self.agent.available and self.open_cases < self.agent.capacity


def skills_of(skills: Iterable[str]) -> frozenset[str]:
    cleaned = frozenset(" ".join(skill.split()).lower() for skill in skills)
    if len(cleaned) > MAX_SKILLS:
        raise ValidationFailed(FieldViolation("skills", f"must be at most {MAX_SKILLS}"))
    if any(not skill or len(skill) > SKILL_MAX_LENGTH for skill in cleaned):
        raise ValidationFailed(
            FieldViolation("skills", f"each must be 1 to {SKILL_MAX_LENGTH} characters")
        )
    return cleaned


def choose_agent(loads: Sequence[AgentLoad], skill: str, cursor: str | None) -> str | None:
    """The agent a case needing `skill` (ANY_SKILL: none) goes to, or None: see the module."""
    candidates = [
        load
        for load in loads
        if load.has_room and (skill == ANY_SKILL or skill in load.agent.skills)
    ]
    if not candidates:
        return None
    fewest = min(load.open_cases for load in candidates)
    tied = sorted(load.agent.user_id for load in candidates if load.open_cases == fewest)
    if cursor is None:
        return tied[0]
    # after the cursor in user-id order, whether or not the cursor is still a candidate
    return next((user for user in tied if user > cursor), tied[0])


def _manager_only(actor: Actor, what: str) -> None:
    if not actor.is_manager:
        raise PermissionDenied(f"only admins and managers {what}")


def _user(value: str, field: str) -> str:
    text = value.strip()
    if len(text) > USER_MAX_LENGTH:
        raise ValidationFailed(
            FieldViolation(field, f"must be at most {USER_MAX_LENGTH} characters")
        )
    return text
