"""The sales teams' storage (the `teams` and `team_members` tables)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from crm_sales.adapters.orm import team_members


class SqlTeamDirectory:
    def __init__(self, session: Session) -> None:
        self.session = session

    def colleagues_of(self, subject: str) -> frozenset[str]:
        own_teams = sa.select(team_members.c.team_id).where(team_members.c.user_id == subject)
        members = sa.select(team_members.c.user_id).where(team_members.c.team_id.in_(own_teams))
        return frozenset(self.session.execute(members).scalars())
