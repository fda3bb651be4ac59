"""`crm-sales [all|api|relay|migrate]`: the sales service's processes."""

from __future__ import annotations

from collections.abc import Sequence

from crm_sales.bootstrap import SERVICE


def main(argv: Sequence[str] | None = None) -> int:
    return SERVICE.main(argv)
