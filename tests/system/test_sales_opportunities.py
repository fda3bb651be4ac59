"""A deal through the pipeline over REST, as the real processes run it: a rep opens it, moves
it, loses and restores it, and wins it; the board and the weighted pipeline sum it; another rep
sees none of it, a partner user only what is assigned to their partner; bad input is a 422 with
the field and changes nothing; the events arrive on the broker."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from crm_proto.crm.sales.v1 import events_pb2  # noqa: F401 - registers the event types

from tests.system.stack import Stack
from tests.system.test_sales_orders import api, received, sales_events, step  # noqa: F401
from tests.system.test_security import (
    STAFF_PASSWORD,
    assert_problem,
    auth,
    create_customer,
    new_account,
    staff_user,
)

DEALS = "/api/v1/sales/opportunities"


def test_a_deal_through_the_pipeline_over_rest(
    api: httpx.Client,  # noqa: F811
    stack: Stack,
    sales_events: Any,  # noqa: F811
) -> None:
    customer = create_customer(api, stack)
    rep = stack.token(new_account(api, stack, "sales_rep"), STAFF_PASSWORD)
    other_rep = stack.token(new_account(api, stack, "sales_rep"), STAFF_PASSWORD)
    admin = staff_user(api, stack, "admin")
    partner_id = str(uuid.uuid4())
    partner = stack.token(
        new_account(
            api, stack, "partner_user", kind="partner", partner_id=partner_id, name="Partner"
        ),
        STAFF_PASSWORD,
    )

    created = api.post(
        DEALS,
        json={
            "customer_id": customer["id"],
            "title": "Spring catalogue",
            "amount": {"currency_code": "CNY", "amount": "1000.05"},
            "expected_close": "2026-12-20",
        },
        headers=auth(rep),
    )
    assert created.status_code == 201, created.text
    deal = created.json()
    path = f"/sales/opportunities/{deal['id']}"
    assert (deal["stage"], deal["probability"]) == ("prospecting", "10.00")

    bad = assert_problem(
        api.post(f"/api/v1{path}/lose", json={"reason": "competitor"}, headers=auth(rep)), 422
    )
    assert "competitor" in str(bad)
    illegal = api.post(f"/api/v1{path}/restore", json={}, headers=auth(rep))
    assert illegal.status_code == 409, illegal.text
    assert api.get(f"/api/v1{path}", headers=auth(rep)).json()["version"] == 1

    step(api, rep, f"{path}/stage", {"stage": "negotiation"})
    board = api.get("/api/v1/sales/pipeline/board", headers=auth(rep)).json()
    negotiation = next(c for c in board["columns"] if c["stage"] == "negotiation")
    assert (negotiation["count"], negotiation["totals"]) == (
        1,
        [{"currency_code": "CNY", "amount": "1000.05"}],
    )
    weighted = api.get("/api/v1/sales/pipeline/weighted", headers=auth(rep)).json()
    assert weighted["totals"] == [{"currency_code": "CNY", "amount": "800.04"}]  # 800.040

    step(api, rep, f"{path}/lose", {"reason": "timing", "note": "next year"})
    restored = step(api, rep, f"{path}/restore")
    assert (restored["stage"], restored["status"]) == ("negotiation", "open")

    assert_problem(api.get(f"/api/v1{path}", headers=auth(other_rep)), 404)
    assert_problem(api.get(f"/api/v1{path}", headers=auth(partner)), 404)
    step(api, admin, f"{path}/assign", {"partner_id": partner_id, "owner_id": deal["owner_id"]})
    seen = api.get(DEALS, headers=auth(partner))
    assert seen.status_code == 200, seen.text
    assert [o["id"] for o in seen.json()["items"]] == [deal["id"]]

    won = step(api, rep, f"{path}/win")
    assert (won["status"], won["probability"]) == ("won", "100.00")

    events = [e for e in received(stack, sales_events, 6) if "Opportunity" in e.type]
    assert [e.type.rsplit(".", 1)[-1] for e in events] == [
        "OpportunityOpened",
        "OpportunityStageChanged",
        "OpportunityLost",
        "OpportunityRestored",
        "OpportunityAssigned",
        "OpportunityWon",
    ]
    assert [e.message.version for e in events] == [1, 2, 3, 4, 5, 6]
