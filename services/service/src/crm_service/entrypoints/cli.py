"""`crm-service [all|api|relay|migrate]`: the service (support) service's processes."""

from __future__ import annotations

from collections.abc import Sequence

from crm_service.bootstrap import SERVICE


def main(argv: Sequence[str] | None = None) -> int:
    return SERVICE.main(argv)
