"""`crm-analytics recompute-value`: every customer's RFM scores and lifetime value measured
again (the quintile boundaries, the models fitted on the order history), then every rule
segment's members; run nightly by the registry's schedule, and on demand."""

from __future__ import annotations

import argparse

from crm_platform import db
from crm_platform.service import unit_of_work_factory
from crm_platform.settings import ServiceSettings

from crm_analytics.adapters.unit_of_work import AnalyticsUnitOfWork
from crm_analytics.config import SERVICE_NAME
from crm_analytics.service_layer.rfm import ValueHandlers
from crm_analytics.service_layer.segments import SegmentHandlers

DESCRIPTION = __doc__.split(";")[0]


def recompute_value_command(settings: ServiceSettings, argv: list[str]) -> int:
    argparse.ArgumentParser(
        prog=f"crm-{SERVICE_NAME} recompute-value", description=DESCRIPTION
    ).parse_args(argv)
    engine = db.build_engine(settings.database_url, pool_size=1)
    try:
        factory = unit_of_work_factory(AnalyticsUnitOfWork, engine, SERVICE_NAME)
        summary = ValueHandlers(factory, SegmentHandlers(factory).recompute).recompute()
    finally:
        engine.dispose()
    model = "fitted" if summary.model else "not fitted (too little history)"
    print(
        f"{summary.customers_scored} customers scored against "
        f"{summary.boundaries.customers} with an order; lifetime value models {model}; "
        f"{summary.membership_changes} segment membership changes"
    )
    return 0
