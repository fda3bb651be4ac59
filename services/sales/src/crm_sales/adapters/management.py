"""Who manages whom, from the sales teams' members: what expense approval and the
performance figures ask (the `team_members` table)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from crm_sales.adapters.orm import team_members


class SqlManagedStaff:
    def __init__(self, session: Session) -> None:
        self.session = session

    def managed_by(self, manager: str) -> frozenset[str]:
        """Every member of each team `manager` manages, the manager aside."""
        managed_teams = sa.select(team_members.c.team_id).where(
            team_members.c.user_id == manager, team_members.c.is_manager.is_(True)
        )
        members = sa.select(team_members.c.user_id).where(
            team_members.c.team_id.in_(managed_teams), team_members.c.user_id != manager
        )
        return frozenset(self.session.execute(members).scalars())
