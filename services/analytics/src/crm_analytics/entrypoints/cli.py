"""`crm-analytics [all|api|consumer|migrate|rebuild]`: the analytics service's processes."""

from __future__ import annotations

from collections.abc import Sequence

from crm_platform.runner import service_main

from crm_analytics import bootstrap
from crm_analytics.config import MIGRATIONS_DIR, SERVICE_NAME
from crm_analytics.entrypoints.rebuild import rebuild_command


def main(argv: Sequence[str] | None = None) -> int:
    return service_main(
        SERVICE_NAME,
        bootstrap.build_app,
        MIGRATIONS_DIR,
        argv,
        commands={"rebuild": rebuild_command},
    )
