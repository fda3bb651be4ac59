"""`crm-identity [all|api|migrate|clients|keys]`: the identity service's processes and its
upkeep."""

from __future__ import annotations

from collections.abc import Sequence

from crm_identity.bootstrap import SERVICE


def main(argv: Sequence[str] | None = None) -> int:
    return SERVICE.main(argv)
