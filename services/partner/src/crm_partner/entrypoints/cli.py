"""`crm-partner [all|api|relay|consumer|deadlines|migrate]`: the partner service's processes."""

from __future__ import annotations

from collections.abc import Sequence

from crm_partner.bootstrap import SERVICE


def main(argv: Sequence[str] | None = None) -> int:
    return SERVICE.main(argv)
