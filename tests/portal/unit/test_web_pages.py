"""The web pages over fake backends: their headers and cookies, the CSRF check, sign-in
redirects, the assets, and the views calling the API routes with the user's own token (so the
routes' access rules apply); and the views' helpers."""

from __future__ import annotations

from pathlib import Path

import pytest
from crm_platform.testing.tokens import admin_token, customer_token
from crm_portal.entrypoints.web import pages, session
from crm_portal.entrypoints.web.client import FieldProblem
from crm_proto.crm.customer.v1 import customer_pb2
from flask import Flask
from flask.testing import FlaskClient

from tests.portal.unit.fakes import CUSTOMER_ID, FakeCustomers

OTHER_CUSTOMER = "0b0b0b0b-0000-4000-8000-000000000002"


@pytest.fixture
def browser(app: Flask) -> FlaskClient:
    """A browser: keeps cookies, sends no Authorization header of its own."""
    return app.test_client()


def signed_in(browser: FlaskClient, token: str) -> FlaskClient:
    browser.set_cookie(session.ACCESS_COOKIE, token)
    return browser


def csrf(browser: FlaskClient) -> str:
    browser.get("/login")
    cookie = browser.get_cookie(session.CSRF_COOKIE)
    assert cookie is not None
    return cookie.value


# -- headers, cookies, CSRF -------------------------------------------------------------------


def test_pages_have_a_strict_content_security_policy_and_the_api_has_none(
    browser: FlaskClient,
) -> None:
    home = browser.get("/")
    api = browser.get("/healthz")

    policy = home.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert home.headers["X-Content-Type-Options"] == "nosniff"
    assert home.headers["Cache-Control"] == "no-store"
    assert "Content-Security-Policy" not in api.headers


def test_pages_have_no_inline_script_or_style(browser: FlaskClient) -> None:
    for path in ("/", "/login", "/register", "/console/login"):
        html = browser.get(path).get_data(as_text=True)
        assert "<script>" not in html
        assert "style=" not in html
        assert "<style" not in html


def test_the_csrf_cookie_is_http_only_same_site_and_secure_over_tls(app: Flask) -> None:
    plain = app.test_client().get("/login").headers["Set-Cookie"]
    tls = app.test_client().get("/login", base_url="https://portal.example").headers["Set-Cookie"]

    assert "HttpOnly" in plain
    assert "SameSite=Lax" in plain
    assert "Secure" not in plain
    assert "Secure" in tls


def test_a_form_post_without_the_pages_token_is_refused(browser: FlaskClient) -> None:
    token = csrf(browser)

    missing = browser.post("/login", data={"email": "a@example.com", "password": "x"})
    wrong = browser.post("/login", data={"email": "a@example.com", "csrf_token": token + "x"})
    other_site = browser.post(
        "/login", data={"csrf_token": token}, headers={"Origin": "https://evil.example"}
    )

    assert (missing.status_code, wrong.status_code, other_site.status_code) == (403, 403, 403)
    assert "not sent from this site" in missing.get_data(as_text=True)


def test_the_pages_forms_carry_the_token(browser: FlaskClient) -> None:
    token = csrf(browser)
    html = browser.get("/login").get_data(as_text=True)

    assert f'name="csrf_token" value="{token}"' in html


def test_a_page_without_a_session_sends_to_the_login_page(browser: FlaskClient) -> None:
    portal = browser.get("/orders")
    console = browser.get("/console/customers?q=chen")

    assert portal.status_code == 302
    assert portal.headers["Location"] == "/login?next=/orders"
    assert console.headers["Location"].startswith("/console/login?next=/console/customers")


def test_an_htmx_request_without_a_session_sends_the_whole_page_to_login(
    browser: FlaskClient,
) -> None:
    fragment = browser.get("/console/customers?q=chen", headers={"HX-Request": "true"})

    assert fragment.status_code == 204
    assert fragment.headers["HX-Redirect"].startswith("/console/login?next=/console/customers")


def test_the_assets_are_served_from_the_package(browser: FlaskClient) -> None:
    htmx = browser.get("/assets/htmx.min.js")
    css = browser.get("/assets/site.css")

    assert htmx.status_code == 200
    assert htmx.get_data(as_text=True).startswith("var htmx=")
    assert css.status_code == 200
    assert "max-age" in htmx.headers["Cache-Control"]
    assert browser.get("/assets/console.js").status_code == 200
    assert browser.get("/assets/app.py").status_code == 404


# -- the views call the API with the user's token -----------------------------------------------


def test_the_console_lists_customers_with_the_staff_users_token(
    browser: FlaskClient, customers: FakeCustomers
) -> None:
    token = admin_token()  # each one is new (its own jti)
    page = signed_in(browser, token).get("/console/customers?q=chen&region=")

    assert page.status_code == 200
    assert customers.last.method == "list_customers"
    assert customers.last.request.query == "chen"
    assert customers.last.principal.token == token


def test_the_source_filter_takes_the_contracts_sources_only(
    browser: FlaskClient, customers: FakeCustomers
) -> None:
    signed_in(browser, admin_token())
    chosen = browser.get("/console/customers?source=sales_rep")
    source = customers.last.request.source
    unknown = browser.get("/console/customers?source=bogus")

    assert (chosen.status_code, unknown.status_code) == (200, 200)
    assert source == customer_pb2.ACQUISITION_SOURCE_SALES_REP
    assert customers.last.request.source == customer_pb2.ACQUISITION_SOURCE_UNSPECIFIED
    assert '<option value="sales_rep" selected>' in chosen.get_data(as_text=True)


def test_an_htmx_search_answers_only_the_rows(browser: FlaskClient) -> None:
    rows = signed_in(browser, admin_token()).get(
        "/console/customers?q=chen", headers={"HX-Request": "true"}
    )

    html = rows.get_data(as_text=True)
    assert "<table" in html
    assert "<html" not in html


def test_a_role_the_route_refuses_gets_the_refusal_page(
    browser: FlaskClient, customers: FakeCustomers
) -> None:
    page = signed_in(browser, customer_token(OTHER_CUSTOMER)).get("/console/customers")

    assert page.status_code == 403
    assert "Not allowed" in page.get_data(as_text=True)
    assert customers.calls == []  # the gateway refused before any backend was called


def test_a_customers_profile_is_their_own_record(
    browser: FlaskClient, customers: FakeCustomers
) -> None:
    page = signed_in(browser, customer_token(CUSTOMER_ID)).get("/account")

    assert page.status_code == 200
    assert customers.last.method == "get_customer"
    assert customers.last.request.id == CUSTOMER_ID


def test_a_token_the_gateway_refuses_ends_the_session(browser: FlaskClient) -> None:
    page = signed_in(browser, "not-a-token").get("/account")

    assert page.status_code == 302
    assert page.headers["Location"] == "/login?next=/account"
    assert browser.get_cookie(session.ACCESS_COOKIE) is None


# -- helpers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/orders/1", "/orders/1"),
        ("", "/home"),
        (None, "/home"),
        ("//evil.example/x", "/home"),
        ("https://evil.example/", "/home"),
        ("orders", "/home"),
        ("/\\evil.example", "/home"),
    ],
)
def test_a_redirect_after_login_stays_on_the_site(target: str | None, expected: str) -> None:
    assert pages.safe_next(target, "/home") == expected


def test_money_time_and_labels_read_as_words() -> None:
    assert pages.money({"currency_code": "CNY", "amount": "12000.5"}) == "CNY 12,000.50"
    assert pages.money(None) == "—"
    assert pages.when("2026-12-04T02:13:00Z") == "2026-12-04 02:13 UTC"
    assert pages.when(None) == "—"
    assert pages.label("proposal_sent") == "Proposal sent"
    assert pages.label(None) == "—"


def test_a_steps_form_becomes_its_body() -> None:
    price = pages.STAFF_STEPS["price"]
    revision = pages.CUSTOMER_STEPS["request_revision"]

    assert pages.step_body(price, {"amount": " 8000 ", "currency": "cny"}) == {
        "amount": {"currency_code": "CNY", "amount": "8000"}
    }
    assert pages.step_body(revision, {"note": " glossy ", "other": "x"}) == {"note": "glossy"}
    assert pages.step_body(pages.STAFF_STEPS["confirm"], {"note": "x"}) == {}


def test_only_the_steps_of_each_side_are_offered() -> None:
    order = {"allowed_steps": ["confirm", "approve_proposal", "cancel"]}

    assert [s.name for s in pages.allowed(order, pages.CUSTOMER_STEPS)] == [
        "approve_proposal",
        "cancel",
    ]
    assert [s.name for s in pages.allowed(order, pages.STAFF_STEPS)] == ["confirm", "cancel"]
    assert pages.allowed({"allowed_steps": None}, pages.STAFF_STEPS) == []


def test_field_errors_name_the_forms_fields() -> None:
    found = pages.field_errors(
        [FieldProblem("amount.amount", "not a decimal"), FieldProblem("", "bad"),
         FieldProblem("amount.currency_code", "unknown")]
    )  # fmt: skip

    assert found == {"amount": "not a decimal", "": "bad"}


def test_same_origin_and_token_comparison() -> None:
    assert session.same_origin("http://localhost:8080", "http://localhost:8080/")
    assert not session.same_origin("http://localhost:8081", "http://localhost:8080/")
    assert not session.same_origin("https://localhost:8080", "http://localhost:8080/")
    assert session.tokens_match("abc", "abc")
    assert not session.tokens_match("", "")
    assert not session.tokens_match(None, "abc")


def test_the_templates_and_assets_are_package_files() -> None:
    package = Path(pages.__file__).parent
    assert (package / "static" / "htmx.min.js").is_file()
    assert (package / "templates" / "base.html").is_file()
