"""`crm-marketing [all|api|relay|migrate]`: the marketing service's processes."""

from __future__ import annotations

from collections.abc import Sequence

from crm_marketing.bootstrap import SERVICE


def main(argv: Sequence[str] | None = None) -> int:
    return SERVICE.main(argv)
