"""The customer portal in a real browser (headless Chromium through Playwright) against the
whole stack: a customer registers, places an order, asks for a revision, approves the
proposal and signs the contract while staff take their steps through the API; another
customer cannot open that order's page; a form post without the page's CSRF token changes
nothing, and one sent twice places one order.

With CRM_SCREENSHOTS=1 the tests refresh docs/screenshots/ (a phone-sized order page too).
"""

from __future__ import annotations

import os
import random
import re
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from crm_platform.testing import required
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from tests.system.stack import Stack
from tests.system.test_security import PASSWORD, auth, register, staff_user

pytestmark = pytest.mark.system

# CRM_SCREENSHOTS=1 refreshes the committed screenshots; other runs keep theirs out of the tree
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def api(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.api, timeout=10) as client:
        yield client


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    chromium = required.tool("chromium", package="chromium")  # Debian's: nothing downloaded
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium)
        yield launched
        launched.close()


@pytest.fixture
def context(browser: Browser, stack: Stack) -> Iterator[BrowserContext]:
    """A fresh browser profile per test: no cookies, no session."""
    opened = browser.new_context(base_url=stack.api, viewport=DESKTOP)  # type: ignore[arg-type]
    yield opened
    opened.close()


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    """A tab of the test's profile; the test fails if the page broke its own CSP."""
    opened = context.new_page()
    violations: list[str] = []
    opened.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    yield opened
    assert violations == [], violations


def screenshot(page: Page, name: str) -> None:
    folder = SCREENSHOTS
    if os.environ.get("CRM_SCREENSHOTS") != "1":
        folder = Path(tempfile.gettempdir()) / "crm-screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def log_in(page: Page, email: str, password: str, path: str = "/login") -> None:
    page.goto(path)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def step(api: httpx.Client, token: str, path: str, body: dict[str, Any] | None = None) -> Any:
    response = api.post(f"/api/v1{path}", json=body or {}, headers=auth(token))
    assert response.status_code == 200, response.text
    return response.json()


def place_order(api: httpx.Client, token: str, title: str) -> dict[str, Any]:
    placed = api.post("/api/v1/portal/orders", json={"title": title}, headers=auth(token))
    assert placed.status_code == 201, placed.text
    order: dict[str, Any] = placed.json()
    return order


def test_a_customer_registers_orders_approves_and_signs_in_the_browser(
    page: Page, api: httpx.Client, stack: Stack
) -> None:
    unique = uuid.uuid4().hex[:10]
    email = f"lin-{unique}@example.com"
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Print, design")
    screenshot(page, "portal-home")

    page.get_by_role("link", name="Register").first.click()
    page.get_by_label("Your name").fill(f"Lin {unique}")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Phone").fill(f"+86139{random.randrange(10**8):08d}")
    page.get_by_label("City (optional)").fill("Suzhou")
    screenshot(page, "portal-register")
    page.get_by_role("button", name="Register").click()

    expect(page).to_have_url(re.compile(r"/orders$"))
    page.get_by_label("What do you need?").fill("Tea house catalogue")
    page.get_by_label("Details (optional)").fill("40 pages, matte")
    page.get_by_role("button", name="Place the order").click()
    expect(page.locator("#order-state")).to_have_text("Placed")
    order_id = page.url.rsplit("/", 1)[-1]

    rep = staff_user(api, stack, "sales_rep")
    manager = staff_user(api, stack, "manager")
    staff_path = f"/sales/orders/{order_id}"
    step(api, rep, f"{staff_path}/confirm")
    step(api, rep, f"{staff_path}/proposal", {"proposal": "A 40-page catalogue on matte paper"})
    page.reload()
    expect(page.locator("#order-proposal")).to_have_text("A 40-page catalogue on matte paper")
    screenshot(page, "portal-order-proposal")
    page.get_by_label("What should change?").fill("Glossy paper, please")
    page.get_by_role("button", name="Ask for a revision").click()
    expect(page.locator("#order-state")).to_have_text("Revision requested")
    step(api, rep, f"{staff_path}/proposal", {"proposal": "A 40-page catalogue, glossy"})
    page.reload()
    expect(page.locator("#order-proposal")).to_have_text("A 40-page catalogue, glossy")
    page.get_by_role("button", name="Approve the proposal").click()
    expect(page.locator("#order-state")).to_have_text("Proposal approved")

    step(
        api,
        manager,
        f"{staff_path}/price",
        {"amount": {"currency_code": "CNY", "amount": "8000.00"}},
    )
    page.reload()
    page.get_by_role("button", name="Sign the contract").click()
    expect(page.get_by_role("button", name="Sign the contract")).to_have_count(0)
    step(api, rep, f"{staff_path}/sign")
    page.reload()
    expect(page.locator("#order-state")).to_have_text("Contract signed")
    expect(page.locator("#milestones + table tbody tr")).to_have_count(4)
    screenshot(page, "portal-order")
    page.set_viewport_size(PHONE)  # type: ignore[arg-type]
    screenshot(page, "portal-order-phone")
    page.set_viewport_size(DESKTOP)  # type: ignore[arg-type]

    customer = stack.token(email, PASSWORD)
    own = api.get(f"/api/v1/portal/orders/{order_id}", headers=auth(customer)).json()
    assert own["state"] == "contract_signed"
    assert own["revisions"] == 1
    assert own["customer_signature"]["at"]
    assert own["company_signature"]["at"]
    page.goto("/orders")
    expect(page.get_by_role("link", name="Tea house catalogue")).to_be_visible()
    screenshot(page, "portal-orders")


def test_a_customer_edits_their_profile_and_sees_their_points(
    page: Page, api: httpx.Client, stack: Stack
) -> None:
    customer = register(api, stack, "Hu")
    log_in(page, customer.email, PASSWORD)
    page.goto("/account")
    page.get_by_label("City").fill("Ningbo")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text("Saved.")
    screenshot(page, "portal-profile")
    page.goto("/loyalty")
    expect(page.get_by_role("heading", level=1)).to_have_text("Loyalty points")
    screenshot(page, "portal-loyalty")

    me = api.get("/api/v1/portal/me", headers=auth(customer.token)).json()
    assert me["city"] == "Ningbo"


def test_a_customer_cannot_open_another_customers_order_page(
    page: Page, api: httpx.Client, stack: Stack
) -> None:
    owner = register(api, stack, "Ma")
    other = register(api, stack, "Gao")
    order = place_order(api, owner.token, "Shop signage")
    log_in(page, other.email, PASSWORD)
    expect(page).to_have_url(re.compile(r"/orders$"))

    response = page.goto(f"/orders/{order['id']}")

    assert response is not None
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Not found")
    expect(page.get_by_text("Shop signage")).to_have_count(0)
    refused = page.request.post(
        f"/orders/{order['id']}/cancel",
        form={"reason": "not mine", "csrf_token": csrf_cookie(page)},
    )
    assert refused.status == 404
    kept = api.get(f"/api/v1/portal/orders/{order['id']}", headers=auth(owner.token)).json()
    assert kept["state"] == "placed"


def csrf_cookie(page: Page) -> str:
    return next(c["value"] for c in page.context.cookies() if c["name"] == "crm_csrf")


def test_a_form_post_without_the_csrf_token_is_refused_and_a_repeat_places_once(
    page: Page, api: httpx.Client, stack: Stack
) -> None:
    customer = register(api, stack, "Lu")
    log_in(page, customer.email, PASSWORD)
    expect(page).to_have_url(re.compile(r"/orders$"))

    missing = page.request.post("/orders", form={"title": "Forged order"})
    wrong = page.request.post("/orders", form={"title": "Forged order", "csrf_token": "guess"})
    other_site = page.request.post(
        "/orders",
        form={"title": "Forged order", "csrf_token": csrf_cookie(page)},
        headers={"Origin": "https://attacker.example"},
    )
    sent = {"title": "Real order", "csrf_token": csrf_cookie(page), "idempotency_key": "k-1"}
    good = page.request.post("/orders", form=sent, max_redirects=0)
    again = page.request.post("/orders", form=sent, max_redirects=0)  # a double click

    assert (missing.status, wrong.status, other_site.status) == (403, 403, 403)
    assert (good.status, again.status) == (303, 303)
    assert good.headers["location"] == again.headers["location"]
    mine = api.get("/api/v1/portal/orders", headers=auth(customer.token)).json()
    assert [o["title"] for o in mine["items"]] == ["Real order"]
