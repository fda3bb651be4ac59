"""The win models' storage on PostgreSQL and SQLite: outcomes learnt into the team's model and
the company's, the team's model preferred once it has outcomes, and `crm-sales
rebuild-win-models` counting every model anew from the won and lost opportunities."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from crm_sales.domain.opportunities import LostReason, Opportunity, PipelineStages
from crm_sales.domain.scoring import Features
from crm_sales.domain.values import Actor, ActorKind, Money
from crm_sales.entrypoints.win_models_command import rebuild_win_models_command
from sqlalchemy import Engine

from tests.sales.integration.conftest import unit_of_work

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
REP = Actor("rep-1", ActorKind.STAFF, frozenset({"sales_rep"}))
TEAM = uuid.uuid4()


def features(region: str) -> Features:
    return Features("proposal", "web", region, frozenset(), "valid", "valid")


def test_outcomes_are_learnt_into_the_team_and_the_company(engine: Engine) -> None:
    uow_factory = unit_of_work(engine)
    with uow_factory() as uow:
        for _ in range(3):
            uow.win_models.learn(TEAM, features("south"), won=True)
        uow.win_models.learn(None, features("north"), won=False)
        uow.commit()
    with uow_factory() as uow:
        team, company, other = (uow.win_models.get(t) for t in (TEAM, None, uuid.uuid4()))
    assert (team.won, team.lost) == (3, 0)
    assert (company.won, company.lost) == (3, 1)
    assert other == company  # a team without outcomes of its own: the company's
    assert (
        team.predict(features("south")).probability > company.predict(features("north")).probability
    )


def closed(team_id: uuid.UUID | None, region: str, won: bool) -> Opportunity:
    opportunity = Opportunity.open(
        id=uuid.uuid4(), title="Deal", customer_id=uuid.uuid4(), owner_id="rep-1",
        team_id=team_id, partner_id=None, lead_id=None, amount=Money.of("100.00", "EUR"),
        expected_close=None,
        source="web", region=region, tags=frozenset(), email="a@acme.cn", phone="",
        actor=REP, now=NOW, stages=PipelineStages.DEFAULT,
    )  # fmt: skip
    if won:
        opportunity.win(REP, NOW)
    else:
        opportunity.lose(REP, NOW, LostReason.PRICE, "Too dear")
    return opportunity


def test_the_command_rebuilds_every_model_from_the_closed_opportunities(
    engine: Engine, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    uow_factory = unit_of_work(engine)
    with uow_factory() as uow:
        uow.win_models.learn(TEAM, features("stale"), won=False)  # counts the rebuild replaces
        for opportunity in (
            closed(TEAM, "south", True),
            closed(TEAM, "south", True),
            closed(None, "north", False),
        ):
            uow.opportunities.add(opportunity)
        # the deals as the opportunities' repository stores them (their events aside)
        uow.session.commit()
    assert rebuild_win_models_command(SimpleNamespace(database_url=database_url), []) == 0  # type: ignore[arg-type]
    assert "from 3 won and lost opportunities" in capsys.readouterr().out
    with uow_factory() as uow:
        team, company = uow.win_models.get(TEAM), uow.win_models.get(None)
    assert (team.won, team.lost, company.won, company.lost) == (2, 0, 2, 1)
    assert "stale" not in team.values["region"]
