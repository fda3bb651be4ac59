"""The routing use cases: teams, agents and required skills, and the routing of a case in the
unit of work that opens it (or by hand, for a case of the unassigned queue)."""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from uuid import UUID

from crm_platform.errors import Conflict, FailedPrecondition, NotFound, PermissionDenied

from crm_service.domain.cases import Case, CaseType
from crm_service.domain.routing import (
    ANY_SKILL,
    Agent,
    AgentLoad,
    Team,
    choose_agent,
    skills_of,
)
from crm_service.domain.values import Actor
from crm_service.service_layer.ports import UnitOfWork
from crm_service.service_layer.visibility import scope_of


def route_in(uow: UnitOfWork, case: Case, now: datetime) -> bool:
    """Give `case` to the agent routing chooses (see domain/routing.py); False when nobody is
    free and it stays in the unassigned queue. The skill's cursor stays locked until commit, so
    two cases routed at once go to different agents in turn."""
    skill = uow.routing.required_skills().get(case.details.type, ANY_SKILL)
    cursor = uow.routing.lock_cursor(skill)
    chosen = choose_agent(uow.routing.loads(), skill, cursor)
    if chosen is None:
        return False
    case.route_to(now, chosen)
    uow.routing.advance_cursor(skill, chosen)
    return True


class RoutingHandlers:
    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.uow_factory = uow_factory
        self.clock = clock

    def create_team(self, actor: Actor, *, name: str, manager_id: str) -> Team:
        team = Team.create(
            actor, id=uuid.uuid4(), name=name, manager_id=manager_id, now=self.clock()
        )
        with self.uow_factory() as uow:
            uow.routing.add_team(team)
            uow.commit()
        return team

    def teams(self, actor: Actor) -> builtins.list[Team]:
        with self.uow_factory() as uow:
            return uow.routing.teams()

    def put_agent(
        self,
        actor: Actor,
        *,
        user_id: str,
        team_id: UUID | None,
        skills: Iterable[str],
        capacity: int,
        available: bool,
        expected_version: int,
    ) -> AgentLoad:
        with self.uow_factory() as uow:
            existing = uow.routing.agent(user_id.strip())
            _expect(existing, expected_version)
            if team_id is not None and uow.routing.team(team_id) is None:
                raise NotFound(f"no team {team_id}")
            agent = Agent.put(
                actor, existing, user_id=user_id, team_id=team_id, skills=skills,
                capacity=capacity, available=available, now=self.clock(),
            )  # fmt: skip
            uow.routing.put_agent(agent)
            load = _load_of(uow, agent)
            uow.commit()
        return load

    def set_availability(self, actor: Actor, user_id: str, available: bool) -> AgentLoad:
        with self.uow_factory() as uow:
            existing = uow.routing.agent(user_id.strip())
            if existing is None:
                raise NotFound(f"no agent {user_id}")
            agent = existing.with_availability(actor, available, self.clock())
            uow.routing.put_agent(agent)
            load = _load_of(uow, agent)
            uow.commit()
        return load

    def agents(self, actor: Actor, team_id: UUID | None) -> builtins.list[AgentLoad]:
        with self.uow_factory() as uow:
            return uow.routing.loads(team_id)

    def set_required_skill(
        self, actor: Actor, case_type: CaseType, skill: str
    ) -> dict[CaseType, str]:
        if not actor.is_manager:
            raise PermissionDenied("only admins and managers set required skills")
        (cleaned,) = skills_of([skill]) if skill.strip() else (ANY_SKILL,)
        with self.uow_factory() as uow:
            uow.routing.set_required_skill(case_type, cleaned)
            required = uow.routing.required_skills()
            uow.commit()
        return required

    def required_skills(self, actor: Actor) -> dict[CaseType, str]:
        with self.uow_factory() as uow:
            return uow.routing.required_skills()

    def route(self, actor: Actor, case_id: UUID) -> Case:
        with self.uow_factory() as uow:
            case = uow.cases.get(case_id)
            if case is None or not scope_of(actor, uow.teams).admits(
                owner_id=case.owner_id, customer_id=case.customer_id
            ):
                raise NotFound(f"no case {case_id}")
            if case.owner_id is not None:
                raise FailedPrecondition(f"the case is assigned to {case.owner_id} already")
            if not route_in(uow, case, self.clock()):
                raise FailedPrecondition("no available agent with the skill has room for it")
            uow.cases.save(case)
            uow.commit()
        return case


def _expect(existing: Agent | None, expected_version: int) -> None:
    if expected_version and (existing is None or existing.version != expected_version):
        at = 0 if existing is None else existing.version
        raise Conflict(f"the agent is at version {at}, not {expected_version}")


def _load_of(uow: UnitOfWork, agent: Agent) -> AgentLoad:
    return next(
        load for load in uow.routing.loads(agent.team_id) if load.agent.user_id == agent.user_id
    )
