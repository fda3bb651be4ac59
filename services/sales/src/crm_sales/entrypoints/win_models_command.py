"""`crm-sales rebuild-win-models`: every team's win model (and the company's) counted anew
from all won and lost opportunities, in one transaction, e.g. after the features change."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from uuid import UUID

import sqlalchemy as sa
from crm_platform import db
from crm_platform.service import unit_of_work_factory
from crm_platform.settings import ServiceSettings

from crm_sales.adapters.orm import opportunities
from crm_sales.adapters.unit_of_work import SqlUnitOfWork
from crm_sales.config import SERVICE_NAME
from crm_sales.domain.opportunities import OpportunityStatus
from crm_sales.domain.scoring import Features

DESCRIPTION = __doc__.split("\n\n")[0]
CLOSED = (OpportunityStatus.WON.value, OpportunityStatus.LOST.value)


def rebuild_win_models_command(settings: ServiceSettings, argv: list[str]) -> int:
    argparse.ArgumentParser(
        prog=f"crm-{SERVICE_NAME} rebuild-win-models", description=DESCRIPTION
    ).parse_args(argv)
    engine = db.build_engine(settings.database_url, pool_size=1)
    try:
        with unit_of_work_factory(SqlUnitOfWork, engine, SERVICE_NAME)() as uow:
            count = uow.win_models.rebuild(_outcomes(uow))
            uow.commit()
    finally:
        engine.dispose()
    print(f"win models rebuilt from {count} won and lost opportunities")
    return 0


def _outcomes(uow: SqlUnitOfWork) -> Iterator[tuple[UUID | None, Features, bool]]:
    ids = uow.session.execute(
        sa.select(opportunities.c.id).where(opportunities.c.status.in_(CLOSED))
    ).scalars()
    for opportunity_id in list(ids):
        opportunity = uow.opportunities.get(opportunity_id)
        if opportunity is not None:
            yield (
                opportunity.team_id,
                opportunity.features(),
                opportunity.status is OpportunityStatus.WON,
            )
