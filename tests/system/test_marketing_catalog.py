"""The catalog through the real gateway with real tokens: a marketer creates a product and a
price list with rules, a sales rep asks the prices (the rule that applied named) and quotes a
line without a price, which the sales service prices from marketing's lists; a rep changes
nothing in the catalog, and bad input is a 422 naming the field that changes nothing."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.system.stack import Stack
from tests.system.test_security import assert_problem, auth, register, staff_user


@pytest.fixture
def api(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.api, timeout=10) as client:
        yield client


def product(code: str, amount: str, currency: str) -> dict[str, Any]:
    return {
        "code": code,
        "product": {"name": f"{code} poster", "unit": "piece", "active": True,
                    "list_price": {"currency_code": currency, "amount": amount}},
    }  # fmt: skip


def price_list(currency: str, code: str) -> dict[str, Any]:
    return {
        "currency": currency,
        "price_list": {
            "name": "Spring 2026", "active": True,
            "rules": [
                {"description": "spring -10 %", "kind": "percent_off", "percent_off": "10"},
                {"description": "100 or more at 30.00", "kind": "fixed_price",
                 "fixed_price": "30.00", "min_quantity": "100", "product_code": code},
            ],
        },
    }  # fmt: skip


def test_a_marketer_prices_the_catalog_and_a_reps_quote_takes_its_prices(
    api: httpx.Client, stack: Stack
) -> None:
    marketer, rep = staff_user(api, stack, "marketer"), staff_user(api, stack, "sales_rep")
    customer = register(api, stack, "Zhou")
    code = f"POSTER-{uuid.uuid4().hex[:6].upper()}"

    created = api.post("/api/v1/marketing/products", json=product(code, "40.00", "CNY"),
                       headers=auth(marketer))  # fmt: skip
    assert created.status_code == 201, created.text
    assert created.headers["Location"] == f"/api/v1/marketing/products/{created.json()['id']}"
    listed = api.post("/api/v1/marketing/price-lists", json=price_list("CNY", code),
                      headers=auth(marketer))  # fmt: skip
    assert listed.status_code == 201, listed.text
    rules = listed.json()["rules"]

    prices = api.post(
        "/api/v1/marketing/prices",
        json={"customer_id": customer.id, "currency": "CNY",
              "lines": [{"product_code": code, "quantity": "100"},
                        {"product_code": code, "quantity": "2"}]},
        headers=auth(rep),
    )  # fmt: skip
    assert prices.status_code == 200, prices.text
    many, few = prices.json()["lines"]
    assert (many["unit_price"]["amount"], many["rule_applied"]["id"]) == ("30.00", rules[1]["id"])
    assert (few["unit_price"]["amount"], few["list_price"]["amount"]) == ("36.00", "40.00")
    assert few["rule_applied"]["description"] == "spring -10 %"

    quote = api.post(
        "/api/v1/sales/quotes",
        json={"customer_id": customer.id, "currency": "CNY",
              "valid_until": (datetime.now(UTC).date() + timedelta(days=14)).isoformat(),
              "lines": [{"product_code": code, "quantity": "3"}]},
        headers=auth(rep),
    )  # fmt: skip
    assert quote.status_code == 201, quote.text
    [line] = quote.json()["lines"]
    assert (line["unit_price"]["amount"], line["price_rule"], line["price_list_id"]) == (
        "36.00", "spring -10 %", listed.json()["id"],
    )  # fmt: skip
    unknown = api.post(
        "/api/v1/sales/quotes",
        json={"customer_id": customer.id, "currency": "CNY",
              "valid_until": (datetime.now(UTC).date() + timedelta(days=14)).isoformat(),
              "lines": [{"product_code": "NO-SUCH-PRODUCT", "quantity": "1"}]},
        headers=auth(rep),
    )  # fmt: skip
    assert "NO-SUCH-PRODUCT" in str(assert_problem(unknown, 422)["errors"])


def test_a_rep_changes_nothing_and_bad_input_names_the_field(
    api: httpx.Client, stack: Stack
) -> None:
    marketer, rep = staff_user(api, stack, "marketer"), staff_user(api, stack, "sales_rep")
    code = f"BROCHURE-{uuid.uuid4().hex[:6].upper()}"

    assert_problem(
        api.post(
            "/api/v1/marketing/products", json=product(code, "4.20", "HKD"), headers=auth(rep)
        ),
        403,
    )
    bad = api.post("/api/v1/marketing/products", json=product(code, "4.205", "HKD"),
                   headers=auth(marketer))  # fmt: skip
    assert [e["field"] for e in assert_problem(bad, 422)["errors"]] == ["product.list_price.amount"]
    bad_rule = price_list("HKD", code)
    bad_rule["price_list"]["rules"][0]["percent_off"] = "150"
    refused = api.post("/api/v1/marketing/price-lists", json=bad_rule, headers=auth(marketer))
    fields = [e["field"] for e in assert_problem(refused, 422)["errors"]]
    assert fields == ["price_list.rules[0].percent_off"]

    products = api.get("/api/v1/marketing/products", headers=auth(rep)).json()["items"]
    assert code not in [p["code"] for p in products]
    lists = api.get("/api/v1/marketing/price-lists?currency=HKD", headers=auth(rep)).json()
    assert lists["items"] == []
