"""`crm-analytics [all|api|consumer|migrate|rebuild]`: the analytics service's processes."""

from __future__ import annotations

from collections.abc import Sequence

from crm_analytics.bootstrap import SERVICE


def main(argv: Sequence[str] | None = None) -> int:
    return SERVICE.main(argv)
