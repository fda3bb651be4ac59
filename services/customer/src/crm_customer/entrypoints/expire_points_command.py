"""`crm-customer expire-points`: the loyalty points whose expiry has passed expire, one entry
(and one event) per account; run nightly, and safe to run again at any time."""

from __future__ import annotations

import argparse

from crm_platform import db
from crm_platform.service import unit_of_work_factory

from crm_customer.adapters.unit_of_work import SqlUnitOfWork
from crm_customer.config import SERVICE_NAME, CustomerSettings, loyalty_program
from crm_customer.service_layer.loyalty import LoyaltyHandlers

DESCRIPTION = __doc__.split("\n\n")[0]


def expire_points_command(settings: CustomerSettings, argv: list[str]) -> int:
    argparse.ArgumentParser(
        prog=f"crm-{SERVICE_NAME} expire-points", description=DESCRIPTION
    ).parse_args(argv)
    engine = db.build_engine(settings.database_url, pool_size=1)
    try:
        handlers = LoyaltyHandlers(
            unit_of_work_factory(SqlUnitOfWork, engine, SERVICE_NAME), loyalty_program()
        )
        accounts = handlers.expire_due()
    finally:
        engine.dispose()
    print(f"points expired in {accounts} loyalty accounts")
    return 0
