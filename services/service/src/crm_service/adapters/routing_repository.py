"""Routing's storage: teams, agents with their open case counts, the skill each case type
requires, and the round-robin cursors; and the directory visibility asks who works with whom."""

from __future__ import annotations

import builtins
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from crm_platform.errors import AlreadyExists, Conflict
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crm_service.adapters.orm import agents, cases, required_skills, routing_cursors, teams
from crm_service.domain.cases import OPEN, CaseType
from crm_service.domain.routing import Agent, AgentLoad, Team

_OPEN = sorted(status.value for status in OPEN)


class SqlTeamDirectory:
    def __init__(self, session: Session) -> None:
        self.session = session

    def colleagues_of(self, subject: str) -> frozenset[str]:
        """The agents of every team `subject` works in or manages, and those teams' managers."""
        own_teams = sa.union(
            sa.select(agents.c.team_id).where(
                agents.c.user_id == subject, agents.c.team_id.is_not(None)
            ),
            sa.select(teams.c.id).where(teams.c.manager_id == subject),
        ).subquery()
        team_ids = sa.select(own_teams.c[0])
        members = sa.select(agents.c.user_id).where(agents.c.team_id.in_(team_ids))
        managers = sa.select(teams.c.manager_id).where(
            teams.c.id.in_(team_ids), teams.c.manager_id.is_not(None)
        )
        found = self.session.execute(sa.union(members, managers)).scalars()
        return frozenset(str(user) for user in found)


class SqlRouting:
    def __init__(self, session: Session) -> None:
        self.session = session
        self._cursor_versions: dict[str, int] = {}  # skill -> the version locked

    # -- teams ----------------------------------------------------------------------------------

    def add_team(self, team: Team) -> None:
        try:
            with self.session.begin_nested():
                self.session.execute(
                    sa.insert(teams).values(
                        id=team.id, name=team.name, manager_id=team.manager_id,
                        version=team.version, created_at=team.created_at,
                    )
                )  # fmt: skip
        except IntegrityError:
            raise AlreadyExists(f"there is a team named {team.name} already", "") from None

    def team(self, team_id: UUID) -> Team | None:
        row = self.session.execute(sa.select(teams).where(teams.c.id == team_id)).first()
        return None if row is None else _team(row)

    def teams(self) -> builtins.list[Team]:
        rows = self.session.execute(sa.select(teams).order_by(teams.c.created_at, teams.c.id))
        return [_team(row) for row in rows]

    # -- agents ---------------------------------------------------------------------------------

    def agent(self, user_id: str) -> Agent | None:
        row = self.session.execute(sa.select(agents).where(agents.c.user_id == user_id)).first()
        return None if row is None else _agent(row)

    def put_agent(self, agent: Agent) -> None:
        """Insert version 1, or update from the version before under the version check."""
        values = {
            "user_id": agent.user_id, "team_id": agent.team_id, "skills": sorted(agent.skills),
            "capacity": agent.capacity, "available": agent.available,
            "version": agent.version, "updated_at": agent.updated_at,
        }  # fmt: skip
        if agent.version == 1:
            try:
                with self.session.begin_nested():
                    self.session.execute(sa.insert(agents).values(values))
            except IntegrityError:
                raise Conflict(f"agent {agent.user_id} was added meanwhile; try again") from None
            return
        result: sa.CursorResult[Any] = self.session.execute(  # type: ignore[assignment]
            sa.update(agents)
            .where(agents.c.user_id == agent.user_id, agents.c.version == agent.version - 1)
            .values(values)
        )
        if result.rowcount != 1:
            raise Conflict(f"agent {agent.user_id} was changed concurrently; read it again")

    def loads(self, team_id: UUID | None = None) -> builtins.list[AgentLoad]:
        """Every agent (of the team) with their open cases, by user id."""
        open_cases = (
            sa.select(cases.c.owner_id, sa.func.count().label("open_cases"))
            .where(cases.c.status.in_(_OPEN), cases.c.owner_id.is_not(None))
            .group_by(cases.c.owner_id)
            .subquery()
        )
        statement = (
            sa.select(agents, sa.func.coalesce(open_cases.c.open_cases, 0).label("open_count"))
            .outerjoin(open_cases, open_cases.c.owner_id == agents.c.user_id)
            .order_by(agents.c.user_id)
        )
        if team_id is not None:
            statement = statement.where(agents.c.team_id == team_id)
        return [
            AgentLoad(_agent(row), int(row.open_count)) for row in self.session.execute(statement)
        ]

    # -- required skills and cursors ------------------------------------------------------------

    def required_skills(self) -> dict[CaseType, str]:
        rows = self.session.execute(sa.select(required_skills))
        return {CaseType(row.case_type): row.skill for row in rows}

    def set_required_skill(self, case_type: CaseType, skill: str) -> None:
        self.session.execute(
            sa.delete(required_skills).where(required_skills.c.case_type == case_type.value)
        )
        if skill:
            self.session.execute(
                sa.insert(required_skills).values(case_type=case_type.value, skill=skill)
            )

    def lock_cursor(self, skill: str) -> str | None:
        """The agent who got the last case routed by `skill`, the cursor's row locked until
        commit (on SQLite the write lock of the first write serializes instead)."""
        row = self.session.execute(
            sa.select(routing_cursors).where(routing_cursors.c.skill == skill).with_for_update()
        ).first()
        if row is None:
            try:
                with self.session.begin_nested():
                    self.session.execute(
                        sa.insert(routing_cursors).values(skill=skill, last_user_id=None, version=0)
                    )
            except IntegrityError:
                pass  # a concurrent first routing made it: lock theirs
            return self.lock_cursor(skill)
        self._cursor_versions[skill] = int(row.version)
        return row.last_user_id  # type: ignore[no-any-return]

    def advance_cursor(self, skill: str, user_id: str) -> None:
        version = self._cursor_versions[skill]
        result: sa.CursorResult[Any] = self.session.execute(  # type: ignore[assignment]
            sa.update(routing_cursors)
            .where(routing_cursors.c.skill == skill, routing_cursors.c.version == version)
            .values(last_user_id=user_id, version=version + 1)
        )
        if result.rowcount != 1:
            raise Conflict("another case was routed meanwhile; try again")
        self._cursor_versions[skill] = version + 1


def _team(row: Any) -> Team:
    return Team(row.id, row.name, row.manager_id, row.version, row.created_at)


def _agent(row: Any) -> Agent:
    return Agent(
        user_id=row.user_id,
        team_id=row.team_id,
        skills=frozenset(row.skills),
        capacity=row.capacity,
        available=row.available,
        version=row.version,
        updated_at=row.updated_at,
    )
