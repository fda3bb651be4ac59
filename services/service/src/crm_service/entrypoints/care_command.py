"""`crm-service care [--date YYYY-MM-DD]`: the day's care tasks (birthdays and anniversaries as
customers) for the customers' owners, each with its CareDue; run daily, and safe to run again
at any time."""

from __future__ import annotations

import argparse
from datetime import date

from crm_platform import context, db
from crm_platform.context import Principal
from crm_platform.service import unit_of_work_factory
from crm_proto.crm.common.v1 import common_pb2

from crm_service.adapters.unit_of_work import SqlUnitOfWork
from crm_service.config import SERVICE_NAME, SupportSettings
from crm_service.service_layer.care import CareHandlers

DESCRIPTION = __doc__.split("\n\n")[0]
CARE_JOB = Principal(subject="service-care", kind=common_pb2.ACTOR_KIND_SERVICE)


def care_command(settings: SupportSettings, argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog=f"crm-{SERVICE_NAME} care", description=DESCRIPTION)
    parser.add_argument("--date", type=date.fromisoformat, help="the day (default: today, UTC)")
    arguments = parser.parse_args(argv)
    engine = db.build_engine(settings.database_url, pool_size=1)
    try:
        with context.acting_as(CARE_JOB):  # the actor of its CareDue events
            made = CareHandlers(unit_of_work_factory(SqlUnitOfWork, engine, SERVICE_NAME)).run(
                arguments.date
            )
    finally:
        engine.dispose()
    print(f"{made} care tasks made")
    return 0
