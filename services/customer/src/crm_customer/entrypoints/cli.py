"""`crm-customer [all|api|relay|migrate|import]`: the customer service's processes."""

from __future__ import annotations

from collections.abc import Sequence

from crm_customer.bootstrap import SERVICE


def main(argv: Sequence[str] | None = None) -> int:
    return SERVICE.main(argv)
