"""A sales team written straight into the database, for the tests that need a manager who
manages a rep (the teams' own API is tested in its own module)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from crm_sales.adapters import orm
from sqlalchemy import Engine


def team(engine: Engine, manager: str, *members: str) -> uuid.UUID:
    team_id = uuid.uuid4()
    now = datetime.now(UTC)
    with engine.begin() as connection:
        connection.execute(
            sa.insert(orm.teams).values(
                id=team_id, name=f"Team {team_id}", document={}, version=1,
                created_at=now, updated_at=now,
            )
        )  # fmt: skip
        connection.execute(
            sa.insert(orm.team_members),
            [
                {"team_id": team_id, "user_id": user, "is_manager": user == manager,
                 "monthly_capacity": 10, "active": True}
                for user in (manager, *members)
            ],
        )  # fmt: skip
    return team_id
