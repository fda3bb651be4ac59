"""`python -m demo` against the real stack: the demo company is made through the API, and a
second run finds all of it and makes nothing more."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx

from tests.system.stack import ADMIN_EMAIL, ADMIN_PASSWORD, Stack
from tests.system.test_security import auth


def run_demo(stack: Stack) -> dict[str, int]:
    env = {**os.environ, "CRM_BOOTSTRAP_ADMIN_EMAIL": ADMIN_EMAIL,
           "CRM_BOOTSTRAP_ADMIN_PASSWORD": ADMIN_PASSWORD}  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "demo", "--api", stack.api, "--customers", "8"],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    tally = {}
    for line in done.stdout.splitlines():
        count, what = line.split(maxsplit=1)
        tally[what] = int(count)
    return tally


def test_the_demo_company_is_made_once(stack: Stack) -> None:
    first = run_demo(stack)
    second = run_demo(stack)

    assert first["made customer"] == 8
    assert first["made staff account"] == 6
    assert first["made portal customer"] == 5
    assert (first["made lead"], first["made case"], first["made product"]) == (8, 3, 3)
    assert (first["made campaign"], first["made partner"]) == (1, 3)
    assert (second["found campaign"], second["found partner"]) == (1, 3)
    assert not [what for what in second if what.startswith("made ")]
    assert second["found customer"] == 8
    assert second["found lead"] == 8
    assert second["found case"] == 3
    orders = {what: count for what, count in first.items() if what.startswith("order ")}
    assert orders == {f"order {state}": 1 for state in
                      ("placed", "proposal_sent", "priced", "in_production", "paid")}  # fmt: skip
    tokens = [stack.token(f"demo.portal.{n}@example.cn", "demo customer password 1")
              for n in range(5)]  # fmt: skip
    with httpx.Client(base_url=stack.api, timeout=10) as api:
        mine = [api.get("/api/v1/portal/orders", headers=auth(token)).json()["items"]
                for token in tokens]  # fmt: skip
    # one order each, the second run placed none again; the paid one delivered and paid
    assert [[order["state"] for order in orders] for orders in mine] == [
        ["placed"], ["proposal_sent"], ["priced"], ["in_production"], ["delivered"],
    ]  # fmt: skip
    assert all(m["paid_at"] for m in mine[4][0]["milestones"])
    token = tokens[4]
    stack.wait_until(
        lambda: httpx.get(f"{stack.api}/api/v1/portal/loyalty", headers=auth(token)).json()[
            "balance"
        ] == 1860,
        timeout=30, what="the paid order's points",
    )  # fmt: skip
