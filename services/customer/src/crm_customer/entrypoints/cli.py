"""`crm-customer [all|api|consumer|relay|jobs|migrate|import]`: the customer service's processes."""

from __future__ import annotations

from collections.abc import Sequence

from crm_platform.runner import service_main

from crm_customer import bootstrap
from crm_customer.config import MIGRATIONS_DIR, SERVICE_NAME
from crm_customer.entrypoints.import_command import import_command


def main(argv: Sequence[str] | None = None) -> int:
    return service_main(
        SERVICE_NAME,
        bootstrap.build_app,
        MIGRATIONS_DIR,
        argv,
        commands={"import": import_command},
    )
