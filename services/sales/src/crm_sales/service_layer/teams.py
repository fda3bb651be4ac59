"""The team use cases: admins and managers change teams, sales roles read them. Each answer
carries how many leads each member was assigned by the team this month."""

from __future__ import annotations

import builtins
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from crm_platform import paging
from crm_platform.errors import Conflict, NotFound
from crm_platform.paging import Page

from crm_sales.domain.assignment import month_of
from crm_sales.domain.teams import AssignmentRule, Team
from crm_sales.domain.values import Actor
from crm_sales.service_layer.leads import LeadUnitOfWork

TeamChange = Callable[[Team, Actor, datetime], None]


@dataclass(frozen=True)
class TeamView:
    team: Team
    assigned: Counter[str]  # user id -> leads assigned to them by the team this month


class TeamHandlers:
    def __init__(
        self,
        uow_factory: Callable[[], LeadUnitOfWork],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.uow_factory = uow_factory
        self.clock = clock

    def create(
        self,
        actor: Actor,
        *,
        name: str,
        rule: AssignmentRule,
        stage_probabilities: Mapping[str, str],
        score_points: Mapping[str, int],
    ) -> TeamView:
        team = Team.create(
            id=uuid.uuid4(),
            name=name,
            rule=rule,
            stage_probabilities=stage_probabilities,
            score_points=score_points,
            actor=actor,
            now=self.clock(),
        )
        with self.uow_factory() as uow:
            uow.teams.add(team)
            uow.commit()
        return TeamView(team, Counter())

    def get(self, actor: Actor, team_id: UUID) -> TeamView:
        with self.uow_factory() as uow:
            team = _found(uow.teams.get(team_id), team_id)
            return self._view(uow, [team])[0]

    def list(self, actor: Actor, *, page_size: int, page_token: str) -> Page[TeamView]:
        limit = paging.page_size(page_size)
        after = paging.decode_cursor(page_token)
        with self.uow_factory() as uow:
            views = self._view(uow, uow.teams.list(after, limit + 1))
        return paging.page_of(views, limit, lambda view: (view.team.created_at, view.team.id))

    def change(
        self, actor: Actor, team_id: UUID, expected_version: int, change: TeamChange
    ) -> TeamView:
        with self.uow_factory() as uow:
            team = _found(uow.teams.get(team_id), team_id)
            if expected_version and expected_version != team.version:
                raise Conflict(
                    f"team {team_id} is at version {team.version}, not {expected_version}"
                )
            change(team, actor, self.clock())
            uow.teams.save(team)
            view = self._view(uow, [team])[0]
            uow.commit()
        return view

    def _view(self, uow: LeadUnitOfWork, teams: builtins.list[Team]) -> builtins.list[TeamView]:
        counts = uow.assignments.counts([team.id for team in teams], month_of(self.clock()))
        return [TeamView(team, counts[team.id]) for team in teams]


def _found(team: Team | None, team_id: UUID) -> Team:
    if team is None:
        raise NotFound(f"no team {team_id}")
    return team
