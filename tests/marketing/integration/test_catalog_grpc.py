"""Products, price lists and PriceLines over real gRPC on PostgreSQL and SQLite: a marketer
builds the catalog, a sales rep reads it and prices lines (the rule that applied named), and
may change nothing; bad input is INVALID_ARGUMENT naming the field and changes nothing; every
change writes its event with actor and version. The sales service's own pricing client asks
this real server for the lines of a quote."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import pytest
from crm_platform.access import policy_of
from crm_platform.db import build_engine
from crm_platform.grpc_errors import ErrorDetails, details_of
from crm_platform.migrations import upgrade
from crm_platform.testing.grpc_servers import serving
from crm_platform.testing.tokens import bearer, staff_token
from crm_proto.crm.common.v1 import common_pb2
from crm_proto.crm.marketing.v1 import (
    catalog_pb2,
    catalog_pb2_grpc,
    events_pb2,
    pricing_pb2,
    pricing_pb2_grpc,
)
from crm_proto.crm.sales.v1 import quotes_pb2, quotes_pb2_grpc
from crm_sales.adapters.price_lists import GrpcPriceLists
from crm_sales.config import MIGRATIONS_DIR as SALES_MIGRATIONS
from crm_sales.entrypoints import quotes_api
from crm_sales.service_layer.quotes import QuoteHandlers
from sqlalchemy import Engine

from tests.customer.integration.support import outbox_events, row_count
from tests.marketing.integration.conftest import call
from tests.sales.integration.conftest import unit_of_work as sales_unit_of_work

MARKETER = staff_token("marketer", subject="marketer-1")
REP = staff_token("sales_rep", subject="rep-1")
C = catalog_pb2
CUSTOMER_ID = str(uuid.uuid4())


@pytest.fixture
def catalog(channel: grpc.Channel) -> catalog_pb2_grpc.CatalogServiceStub:
    return catalog_pb2_grpc.CatalogServiceStub(channel)


@pytest.fixture
def pricing(channel: grpc.Channel) -> pricing_pb2_grpc.PricingServiceStub:
    return pricing_pb2_grpc.PricingServiceStub(channel)


def refused(rpc: object, token: str, request: object) -> ErrorDetails:
    with pytest.raises(grpc.RpcError) as error:
        call(rpc, token, request)
    return details_of(error.value)


def money(amount: str, currency: str = "CNY") -> common_pb2.Money:
    return common_pb2.Money(currency_code=currency, amount=amount)


def a_product(code: str, price: str) -> C.CreateProductRequest:
    return C.CreateProductRequest(
        code=code,
        product=C.ProductInput(
            name=f"{code} name", unit="piece", list_price=money(price), active=True
        ),
    )


def spring_list() -> C.CreatePriceListRequest:
    return C.CreatePriceListRequest(
        currency="CNY",
        price_list=C.PriceListInput(
            name="Spring 2026",
            active=True,
            rules=[
                C.PriceRule(
                    description="spring -10 %", kind=C.RULE_KIND_PERCENT_OFF, percent_off="10"
                ),
                C.PriceRule(
                    description="500 posters at 30.00", kind=C.RULE_KIND_FIXED_PRICE,
                    product_code="POSTER-A1", fixed_price="30.00", min_quantity="500",
                ),
            ],
        ),
    )  # fmt: skip


def test_a_marketer_builds_the_catalog_and_a_rep_prices_lines_by_its_rules(
    engine: Engine,
    catalog: catalog_pb2_grpc.CatalogServiceStub,
    pricing: pricing_pb2_grpc.PricingServiceStub,
) -> None:
    poster = call(catalog.CreateProduct, MARKETER, a_product("POSTER-A1", "40.00"))
    call(catalog.CreateProduct, MARKETER, a_product("BROCHURE", "4.20"))
    spring = call(catalog.CreatePriceList, MARKETER, spring_list())
    assert [rule.id != "" for rule in spring.rules] == [True, True]

    answer = call(
        pricing.PriceLines, REP,
        pricing_pb2.PriceLinesRequest(
            customer_id=CUSTOMER_ID, currency="CNY",
            lines=[pricing_pb2.LineQuery(product_code="POSTER-A1", quantity="500"),
                   pricing_pb2.LineQuery(product_code="BROCHURE", quantity="2")],
        ),
    )  # fmt: skip

    big, small = answer.lines
    assert (big.unit_price.amount, big.list_price.amount) == ("30.00", "40.00")
    assert (big.rule_applied.id, big.rule_applied.description) == (
        spring.rules[1].id, "500 posters at 30.00",
    )  # fmt: skip
    assert (small.unit_price.amount, small.rule_applied.description) == ("3.78", "spring -10 %")
    assert small.price_list_id == spring.id
    listed = call(catalog.ListProducts, REP, C.ListProductsRequest())
    assert [p.code for p in listed.products] == ["BROCHURE", "POSTER-A1"]
    assert call(catalog.GetProduct, REP, C.GetProductRequest(id=poster.id)).version == 1
    events = outbox_events(engine)
    assert [e.type for e in events] == [
        "crm.marketing.v1.ProductChanged", "crm.marketing.v1.ProductChanged",
        "crm.marketing.v1.PriceListChanged",
    ]  # fmt: skip
    first = events[0].message
    assert isinstance(first, events_pb2.ProductChanged)
    assert (first.product_id, first.version, first.actor.subject) == (poster.id, 1, "marketer-1")


def test_a_rep_changes_nothing_and_bad_input_names_its_field(
    engine: Engine, catalog: catalog_pb2_grpc.CatalogServiceStub
) -> None:
    denied = refused(catalog.CreateProduct, REP, a_product("POSTER-A1", "40.00"))
    assert denied.code == grpc.StatusCode.PERMISSION_DENIED
    bad_code = refused(catalog.CreateProduct, MARKETER, a_product("poster a1", "40.00"))
    assert bad_code.code == grpc.StatusCode.INVALID_ARGUMENT
    assert [v.field for v in bad_code.violations] == ["code"]
    bad_price = refused(catalog.CreateProduct, MARKETER, a_product("POSTER-A1", "40.001"))
    assert [v.field for v in bad_price.violations] == ["product.list_price.amount"]
    bad_rule = spring_list()
    bad_rule.price_list.rules[0].percent_off = "120"
    refused_rule = refused(catalog.CreatePriceList, MARKETER, bad_rule)
    assert [v.field for v in refused_rule.violations] == ["price_list.rules[0].percent_off"]
    assert (row_count(engine, "products"), row_count(engine, "price_lists")) == (0, 0)
    assert outbox_events(engine) == []


def test_pricing_refuses_what_has_no_price_and_a_stale_change_is_aborted(
    catalog: catalog_pb2_grpc.CatalogServiceStub, pricing: pricing_pb2_grpc.PricingServiceStub
) -> None:
    poster = call(catalog.CreateProduct, MARKETER, a_product("POSTER-A1", "40.00"))
    request = pricing_pb2.PriceLinesRequest(
        customer_id=CUSTOMER_ID, currency="CNY",
        lines=[pricing_pb2.LineQuery(product_code="POSTER-A1", quantity="1")],
    )  # fmt: skip
    assert refused(pricing.PriceLines, REP, request).code == grpc.StatusCode.FAILED_PRECONDITION
    call(catalog.CreatePriceList, MARKETER, spring_list())
    request.lines.append(pricing_pb2.LineQuery(product_code="GHOST", quantity="1"))
    missing = refused(pricing.PriceLines, REP, request)
    assert missing.code == grpc.StatusCode.NOT_FOUND
    assert "GHOST" in missing.message

    change = C.UpdateProductRequest(
        id=poster.id, expected_version=1,
        product=C.ProductInput(name="Poster", unit="piece", list_price=money("41.00"), active=True),
    )  # fmt: skip
    assert call(catalog.UpdateProduct, MARKETER, change).version == 2
    assert refused(catalog.UpdateProduct, MARKETER, change).code == grpc.StatusCode.ABORTED


@pytest.fixture
def sales_engine(tmp_path: Path) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path / 'sales.db'}"
    upgrade(SALES_MIGRATIONS, url)
    engine = build_engine(url)
    yield engine
    engine.dispose()


def test_sales_prices_a_quote_line_without_a_price_from_this_service(
    target: str, catalog: catalog_pb2_grpc.CatalogServiceStub, sales_engine: Engine
) -> None:
    call(catalog.CreateProduct, MARKETER, a_product("POSTER-A1", "40.00"))
    call(catalog.CreatePriceList, MARKETER, spring_list())
    handlers = QuoteHandlers(sales_unit_of_work(sales_engine), GrpcPriceLists.connect(target))
    quote_request = quotes_pb2.CreateQuoteRequest(
        customer_id=CUSTOMER_ID, currency="CNY",
        valid_until=(datetime.now(UTC).date() + timedelta(days=30)).isoformat(),
        lines=[quotes_pb2.QuoteLineInput(product_code="POSTER-A1", quantity="3")],
    )  # fmt: skip
    with serving([quotes_api.binding(handlers)], policy_of(quotes_api.SERVICE)) as sales:
        channel = grpc.insecure_channel(sales)
        try:
            stub = quotes_pb2_grpc.QuoteServiceStub(channel)
            quote = stub.CreateQuote(quote_request, metadata=bearer(REP), timeout=10)
        finally:
            channel.close()

    [line] = quote.lines
    assert (line.unit_price.amount, line.price_rule, line.net.amount) == (
        "36.00", "spring -10 %", "108.00",
    )  # fmt: skip
