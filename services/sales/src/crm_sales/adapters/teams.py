"""The sales teams' storage (the `teams` and `team_members` tables): the team repository, the
directory visibility asks who works with whom, and each team's pipeline stages."""

from __future__ import annotations

import builtins
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from crm_platform.errors import AlreadyExists, Conflict
from crm_platform.paging import Cursor
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crm_sales.adapters.orm import staff_accounts, team_members, teams
from crm_sales.domain.opportunities import PipelineStages
from crm_sales.domain.teams import AssignmentRule, CompanySize, LeadSource, Member, Team


class SqlTeamDirectory:
    def __init__(self, session: Session, track: Callable[[Team], None] = lambda team: None) -> None:
        self.session = session
        self._track = track
        self._loaded: dict[UUID, int] = {}  # id -> the version this transaction read

    def colleagues_of(self, subject: str) -> frozenset[str]:
        own_teams = sa.select(team_members.c.team_id).where(team_members.c.user_id == subject)
        members = sa.select(team_members.c.user_id).where(team_members.c.team_id.in_(own_teams))
        return frozenset(self.session.execute(members).scalars())

    def pipeline_stages(self, team_id: UUID | None) -> PipelineStages:
        """The team's stages; the default for no team or a team that sets none."""
        team = None if team_id is None else self.get(team_id)
        return PipelineStages.DEFAULT if team is None else team.pipeline_stages()

    def get(self, team_id: UUID) -> Team | None:
        row = self.session.execute(sa.select(teams).where(teams.c.id == team_id)).first()
        return None if row is None else self._loaded_teams([row])[0]

    def list(self, after: Cursor | None, limit: int) -> builtins.list[Team]:
        statement = sa.select(teams)
        if after is not None:
            created_at, team_id = after
            statement = statement.where(
                sa.tuple_(teams.c.created_at, teams.c.id)
                > sa.tuple_(
                    sa.literal(created_at, teams.c.created_at.type),
                    sa.literal(team_id, teams.c.id.type),
                )
            )
        statement = statement.order_by(teams.c.created_at, teams.c.id).limit(limit)
        return self._loaded_teams(list(self.session.execute(statement)))

    def all(self) -> builtins.list[Team]:
        """Every team, for the assignment rules (a company has tens, not thousands)."""
        return self._loaded_teams(list(self.session.execute(sa.select(teams))))

    def add(self, team: Team) -> None:
        try:
            with self.session.begin_nested():
                self.session.execute(sa.insert(teams).values(_values(team)))
        except IntegrityError:
            raise AlreadyExists(
                f"there is a team named {team.name} already", existing_id=""
            ) from None
        self._write_members(team)
        self._loaded[team.id] = team.version
        self._track(team)

    def save(self, team: Team) -> None:
        read = self._loaded[team.id]
        if team.version == read:
            return
        try:
            with self.session.begin_nested():
                result: sa.CursorResult[Any] = self.session.execute(  # type: ignore[assignment]
                    sa.update(teams)
                    .where(teams.c.id == team.id)
                    .where(teams.c.version == read)
                    .values(_values(team))
                )
        except IntegrityError:
            raise AlreadyExists(
                f"there is a team named {team.name} already", existing_id=""
            ) from None
        if result.rowcount != 1:
            raise Conflict(f"team {team.id} was changed concurrently; read it again")
        self.session.execute(sa.delete(team_members).where(team_members.c.team_id == team.id))
        self._write_members(team)
        self._loaded[team.id] = team.version

    def _write_members(self, team: Team) -> None:
        if team.members:
            self.session.execute(
                sa.insert(team_members),
                [
                    {
                        "team_id": team.id,
                        "user_id": member.user_id,
                        "is_manager": member.is_manager,
                        "monthly_capacity": member.monthly_capacity,
                        "active": member.active,
                    }
                    for member in team.members.values()
                ],
            )

    def _loaded_teams(self, rows: builtins.list[Any]) -> builtins.list[Team]:
        ids = [row.id for row in rows]
        members: dict[UUID, dict[str, Member]] = {team_id: {} for team_id in ids}
        if ids:
            for member in self.session.execute(
                sa.select(team_members, staff_accounts.c.disabled)
                .outerjoin(staff_accounts, staff_accounts.c.user_id == team_members.c.user_id)
                .where(team_members.c.team_id.in_(ids))
            ):
                members[member.team_id][member.user_id] = Member(
                    member.user_id, member.is_manager, member.monthly_capacity, member.active,
                    account_disabled=bool(member.disabled),
                )  # fmt: skip
        loaded = [_team(row, members[row.id]) for row in rows]
        for team in loaded:
            self._loaded[team.id] = team.version
            self._track(team)
        return loaded


def _values(team: Team) -> dict[str, Any]:
    return {
        "id": team.id,
        "name": team.name,
        "document": {
            "rule": {
                "regions": sorted(team.rule.regions),
                "sources": sorted(source.value for source in team.rule.sources),
                "sizes": sorted(size.value for size in team.rule.sizes),
            },
            "stage_probabilities": {
                stage: str(value) for stage, value in team.stage_probabilities.items()
            },
            "score_points": team.score_points,
        },
        "version": team.version,
        "created_at": team.created_at,
        "updated_at": team.updated_at,
    }


def _team(row: Any, members: dict[str, Member]) -> Team:
    document = row.document
    rule = document.get("rule", {})
    return Team(
        id=row.id,
        name=row.name,
        rule=AssignmentRule(
            frozenset(rule.get("regions", ())),
            frozenset(LeadSource(source) for source in rule.get("sources", ())),
            frozenset(CompanySize(size) for size in rule.get("sizes", ())),
        ),
        stage_probabilities={
            stage: Decimal(value)
            for stage, value in document.get("stage_probabilities", {}).items()
        },
        score_points={key: int(points) for key, points in document.get("score_points", {}).items()},
        members=members,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


class SqlStaffAccounts:
    """Identity's staff and partner accounts as far as sales needs them: disabled or not."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def record(self, user_id: str, *, disabled: bool, version: int) -> None:
        """Applies an account's change unless a newer one was applied already."""
        updated: sa.CursorResult[Any] = self.session.execute(  # type: ignore[assignment]
            sa.update(staff_accounts)
            .where(staff_accounts.c.user_id == user_id, staff_accounts.c.version < version)
            .values(disabled=disabled, version=version)
        )
        if updated.rowcount:
            return
        known = self.session.execute(
            sa.select(staff_accounts.c.user_id).where(staff_accounts.c.user_id == user_id)
        ).first()
        if known is None:
            self.session.execute(
                sa.insert(staff_accounts).values(
                    user_id=user_id, disabled=disabled, version=version
                )
            )

    def is_disabled(self, user_id: str) -> bool:
        disabled = self.session.execute(
            sa.select(staff_accounts.c.disabled).where(staff_accounts.c.user_id == user_id)
        ).scalar()
        return bool(disabled)
