"""`python -m demo [--api URL]`: fill the running system with the demo company (see
demo/__init__.py); the admin is CRM_BOOTSTRAP_ADMIN_EMAIL / _PASSWORD, as `make run` sets."""

from __future__ import annotations

import argparse
import os
import sys

import httpx

from demo.seed import DemoError, Seeder, login


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo", description=__doc__)
    parser.add_argument("--api", default="http://localhost:8080", help="the gateway's URL")
    parser.add_argument(
        "--customers", type=int, default=40, help="customers besides the portal's (default 40)"
    )
    args = parser.parse_args(argv)
    email = os.environ.get("CRM_BOOTSTRAP_ADMIN_EMAIL", "admin@example.com")
    password = os.environ.get("CRM_BOOTSTRAP_ADMIN_PASSWORD", "change-me-now")
    with httpx.Client(base_url=args.api, timeout=30) as api:
        try:
            tally = Seeder(api, login(api, email, password), customers=args.customers).run()
        except (DemoError, httpx.HTTPError) as exc:
            print(f"demo: {exc}", file=sys.stderr)
            return 1
    for what, count in sorted(tally.items()):
        print(f"{count:4d} {what}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
