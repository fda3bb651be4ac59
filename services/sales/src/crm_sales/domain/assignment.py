"""Where a new, unowned lead goes: to a team whose rule matches it, then to that team's next
active rep with quota left this month.

- Among several matching teams, the choice is random, weighted by each team's remaining
  capacity this month (the sum over its active members of capacity minus what they were
  assigned); the random source is passed in, so a test can fix it.
- In the team, round robin: the active members in a stable order (by user id), starting after
  the one who got the team's previous lead (its cursor), skipping whoever has no quota left.
- An inactive member is never chosen, nor one whose account identity disabled, nor one at
  capacity. When nobody in the chosen team has quota left the lead stays in the team's queue,
  unowned.

Pure Python: the counts of this month's assignments and the cursor come from storage.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Protocol

from crm_sales.domain.teams import CompanySize, LeadSource, Member, Team


class AssignmentReason(StrEnum):
    RULE = "rule"  # to a team by its rule; nobody in it had quota left
    ROUND_ROBIN = "round_robin"  # to a team by its rule, then to its next rep
    MANUAL = "manual"


class RandomSource(Protocol):
    def random(self) -> float:
        """A float in [0, 1)."""
        ...


@dataclass(frozen=True)
class TeamLoad:
    """A team as assignment sees it: its members and how many leads each was assigned by it
    this month."""

    team: Team
    assigned: Mapping[str, int]  # user id -> this month's assignments in this team

    def remaining(self, member: Member) -> int:
        return max(0, member.monthly_capacity - self.assigned.get(member.user_id, 0))

    @property
    def capacity_left(self) -> int:
        return sum(self.remaining(member) for member in self.team.active_members)


def month_of(moment: datetime) -> str:
    """The calendar month (UTC) a rep's quota counts in: "2026-12"."""
    return moment.astimezone(UTC).strftime("%Y-%m")


def matching(
    loads: Sequence[TeamLoad], region: str, source: LeadSource, size: CompanySize | None
) -> list[TeamLoad]:
    return [load for load in loads if load.team.rule.matches(region, source, size)]


def choose_team(candidates: Sequence[TeamLoad], rng: RandomSource) -> TeamLoad | None:
    """A team among the matching ones, weighted by capacity left; when none has any left,
    the first by name (its queue holds the lead)."""
    if not candidates:
        return None
    ordered = sorted(candidates, key=lambda load: (load.team.name, str(load.team.id)))
    total = sum(load.capacity_left for load in ordered)
    if total == 0:
        return ordered[0]
    point = rng.random() * total
    for load in ordered:
        point -= load.capacity_left
        if point < 0 and load.capacity_left > 0:
            return load
    # rounding at the very top of the range: the last team with capacity
    return [load for load in ordered if load.capacity_left > 0][-1]


def next_rep(load: TeamLoad, cursor: str | None) -> str | None:
    """The active member after `cursor` (the previous lead's rep) with quota left, or None."""
    members = load.team.active_members
    if not members:
        return None
    start = 0
    if cursor is not None:
        # after the cursor in user-id order, whether or not the cursor is still a member
        start = next((i for i, member in enumerate(members) if member.user_id > cursor), 0)
    for offset in range(len(members)):
        member = members[(start + offset) % len(members)]
        if load.remaining(member) > 0:
            return member.user_id
    return None
