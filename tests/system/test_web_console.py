"""The staff console in a real browser (headless Chromium through Playwright) against the
whole stack: a sales rep logs in, finds a customer, opens the 360 page, records a consent,
opens the order and confirms it; moves a deal on the pipeline board with its form button and
by dragging; sees the lead list, but not the case queue, which a service agent sees. A
console page without a login sends the browser to the login page."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import httpx
import pytest
from crm_platform.testing.servers import PostgresServer, RabbitServer
from playwright.sync_api import Page, expect

from tests.system.stack import Stack, running_stack
from tests.system.test_security import STAFF_PASSWORD, auth, new_account, register, staff_user
from tests.system.test_web_portal import (  # noqa: F401 - fixtures
    api,
    browser,
    context,
    log_in,
    page,
    place_order,
    screenshot,
    step,
)


@pytest.fixture(scope="module")
def stack(
    postgres_instance: PostgresServer | str,
    rabbit_instance: RabbitServer | str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Stack]:
    """A system of this module's own: its agent's queue must hold only the cases this
    module opens."""
    yield from running_stack(postgres_instance, rabbit_instance, tmp_path_factory)


# a system of its own and a real browser: `make test-slow`
pytestmark = [pytest.mark.system, pytest.mark.slow]


@pytest.fixture(scope="module")
def rep_email(api: httpx.Client, stack: Stack) -> str:  # noqa: F811
    """A sales rep's login, one per stack (logins are rate-limited per address)."""
    return new_account(api, stack, "sales_rep")


def test_a_console_page_without_login_redirects_to_login(page: Page) -> None:  # noqa: F811
    page.goto("/console/pipeline")

    expect(page).to_have_url(re.compile(r"/console/login\?next=/console/pipeline$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Staff login")
    screenshot(page, "console-login")


def test_a_rep_finds_the_customer_and_takes_the_order_step(
    page: Page,  # noqa: F811
    api: httpx.Client,  # noqa: F811
    stack: Stack,
    rep_email: str,
) -> None:

    customer = register(api, stack, "Xu")
    order = place_order(api, customer.token, "Spring festival boxes")
    name = as_staff(api, stack, f"/api/v1/customers/{customer.id}")["name"]

    page.goto("/console/")
    expect(page).to_have_url(re.compile(r"/console/login"))
    page.get_by_label("Email").fill(rep_email)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/console/customers$"))
    page.get_by_label("Search name, email or phone").fill(name)
    row = page.get_by_role("link", name=name)
    expect(row).to_have_count(1)  # htmx swapped the rows in place
    expect(page).to_have_url(re.compile(r"q=Xu"))
    screenshot(page, "console-customers")
    row.click()

    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    page.get_by_role("button", name="Record consent for email").click()
    expect(page.locator("#consent-email")).to_have_text("Granted")
    screenshot(page, "console-customer")
    page.get_by_role("link", name="Spring festival boxes").click()
    expect(page.locator("#order-state")).to_have_text("Placed")
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator("#order-state")).to_have_text("Confirmed")
    screenshot(page, "console-order")

    own = api.get(f"/api/v1/portal/orders/{order['id']}", headers=auth(customer.token)).json()
    assert own["state"] == "confirmed"
    record = as_staff(api, stack, f"/api/v1/customers/{customer.id}")
    assert record["consents"]["email"]["granted"] is True  # type: ignore[index]


def as_staff(api: httpx.Client, stack: Stack, path: str) -> dict[str, object]:  # noqa: F811
    response = api.get(path, headers=stack.headers())
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def test_a_rep_moves_a_deal_on_the_board_and_sees_leads_and_cases(
    page: Page,  # noqa: F811
    api: httpx.Client,  # noqa: F811
    stack: Stack,
    rep_email: str,
) -> None:
    customer = register(api, stack, "Kong")
    title = f"Brand kit {uuid.uuid4().hex[:6]}"
    rep = stack.token(rep_email, STAFF_PASSWORD)
    created = api.post(
        "/api/v1/sales/opportunities",
        json={"customer_id": customer.id, "title": title,
              "amount": {"currency_code": "CNY", "amount": "30000.00"}},
        headers=auth(rep),
    )  # fmt: skip
    assert created.status_code == 201, created.text
    deal = created.json()
    lead_name = f"Wei {uuid.uuid4().hex[:6]}"
    lead = api.post(
        "/api/v1/sales/leads",
        json={"source": "web", "contact": {"name": lead_name, "email": "wei@example.com"}},
        headers=auth(rep),
    )
    assert lead.status_code == 201, lead.text

    log_in(page, rep_email, STAFF_PASSWORD, "/console/login")
    page.goto("/console/pipeline")
    card = page.locator(f"#deal-{deal['id']}")
    expect(card).to_contain_text(title)
    card.get_by_label("Move to").select_option("proposal")
    card.get_by_role("button", name="Move").click()
    moved = page.locator(f"[data-stage=proposal] #deal-{deal['id']}")
    expect(moved).to_contain_text(title)
    moved.drag_to(page.locator("[data-stage=negotiation]"))
    expect(page.locator(f"[data-stage=negotiation] #deal-{deal['id']}")).to_contain_text(title)
    screenshot(page, "console-pipeline")

    page.goto("/console/leads")
    expect(page.get_by_role("cell", name=lead_name)).to_be_visible()
    screenshot(page, "console-leads")
    refused = page.goto("/console/cases")  # the queue is the service agents'
    assert refused is not None
    assert refused.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("Not allowed")

    after = api.get(f"/api/v1/sales/opportunities/{deal['id']}", headers=auth(rep)).json()
    assert after["stage"] == "negotiation"


def test_an_agent_sees_a_new_case_in_the_queue(
    page: Page,  # noqa: F811
    api: httpx.Client,  # noqa: F811
    stack: Stack,
) -> None:
    customer = register(api, stack, "Shen")
    subject = f"Wrong colour on the boxes {uuid.uuid4().hex[:6]}"
    opened = api.post(
        "/api/v1/portal/cases",
        json={"type": "complaint", "subject": subject, "description": "Red, not gold"},
        headers=auth(customer.token),
    )
    assert opened.status_code == 201, opened.text
    agent_email = new_account(api, stack, "service_agent")

    log_in(page, agent_email, STAFF_PASSWORD, "/console/login")
    page.goto("/console/cases")

    row = page.get_by_role("row").filter(has_text=subject)
    expect(row).to_contain_text(opened.json()["reference"])
    expect(row).to_contain_text("Complaint")
    screenshot(page, "console-cases")


def test_a_manager_prices_the_order_and_finance_records_a_payment(
    page: Page,  # noqa: F811
    api: httpx.Client,  # noqa: F811
    stack: Stack,
) -> None:
    customer = register(api, stack, "Tang")
    order = place_order(api, customer.token, "Trade fair stand")
    rep = staff_user(api, stack, "sales_rep")
    staff_path, own_path = f"/sales/orders/{order['id']}", f"/portal/orders/{order['id']}"
    step(api, rep, f"{staff_path}/confirm")
    step(api, rep, f"{staff_path}/proposal", {"proposal": "A 36 m2 stand"})
    step(api, customer.token, f"{own_path}/approve-proposal")

    log_in(page, new_account(api, stack, "manager"), STAFF_PASSWORD, "/console/login")
    page.goto(f"/console/orders/{order['id']}")
    page.get_by_label("Price").fill("9000.00")
    page.get_by_role("button", name="Set the price").click()
    expect(page.locator("#order-state")).to_have_text("Priced")
    step(api, customer.token, f"{own_path}/sign")
    step(api, rep, f"{staff_path}/sign")
    page.get_by_role("button", name="Log out").click()

    log_in(page, new_account(api, stack, "finance"), STAFF_PASSWORD, "/console/login")
    page.goto(f"/console/orders/{order['id']}")
    page.get_by_label("Payment reference for milestone 1").fill("BANK-0001")
    page.get_by_role("button", name="Paid").first.click()
    expect(page.get_by_text("(BANK-0001)")).to_be_visible()

    own = api.get(f"/api/v1{own_path}", headers=auth(customer.token)).json()
    assert own["amount"] == {"currency_code": "CNY", "amount": "9000.00"}
    first = own["milestones"][0]
    assert first["reference"] == "BANK-0001"
    assert first["paid_at"]
    assert [m["paid_at"] for m in own["milestones"][1:]] == [None, None, None]
