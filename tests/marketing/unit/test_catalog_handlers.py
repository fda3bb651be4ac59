"""The catalog use cases over fakes: PriceLines answers one price per line with its rule and
the customer's tier; an unknown or inactive product is NOT_FOUND naming it, a currency without
a list in force FAILED_PRECONDITION; a base list must exist, share the currency and not loop."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import uuid4

import pytest
from crm_marketing.domain.catalog import PriceRule, RuleKind
from crm_marketing.domain.values import Money
from crm_marketing.service_layer.catalog import (
    CatalogHandlers,
    PriceListInput,
    PriceQuery,
    ProductInput,
)
from crm_platform.errors import (
    AlreadyExists,
    Conflict,
    FailedPrecondition,
    NotFound,
    ValidationFailed,
)

from tests.marketing.unit.fakes import MARKETER, NOW, FakeUnitOfWork

CUSTOMER = uuid4()


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork()


@pytest.fixture
def catalog(uow: FakeUnitOfWork) -> CatalogHandlers:
    return CatalogHandlers(uow, clock=lambda: NOW)


def product(price: str = "40.00", active: bool = True) -> ProductInput:
    return ProductInput("A1 poster", "piece", Money(Decimal(price), "CNY"), active)


def listing(*rules: PriceRule, based_on: object = None, **fields: object) -> PriceListInput:
    values: dict[str, object] = {
        "name": "Spring", "based_on_id": based_on, "valid_from": None, "valid_until": None,
        "rules": rules, "active": True,
    }  # fmt: skip
    values.update(fields)
    return PriceListInput(**values)  # type: ignore[arg-type]


def gold_rule() -> PriceRule:
    return PriceRule(uuid4(), "gold -25 %", RuleKind.PERCENT_OFF, percent_off=Decimal(25),
                     customer_tier="gold")  # fmt: skip


def query(*lines: tuple[str, str], currency: str = "CNY") -> PriceQuery:
    return PriceQuery(CUSTOMER, currency, None, [(c, Decimal(q)) for c, q in lines], None)


def test_lines_are_priced_in_order_with_the_rule_for_the_customers_tier(
    catalog: CatalogHandlers, uow: FakeUnitOfWork
) -> None:
    catalog.create_product(MARKETER, "POSTER-A1", product())
    catalog.create_product(MARKETER, "BROCHURE", product("10.00"))
    catalog.create_price_list(MARKETER, "CNY", listing(gold_rule()))
    assert catalog.set_customer_tier(MARKETER, CUSTOMER, " gold ") == "gold"

    lines = catalog.price_lines(query(("BROCHURE", "2"), ("POSTER-A1", "1")))

    assert [(line.product_code, line.unit_price.amount) for line in lines] == [
        ("BROCHURE", Decimal("7.50")), ("POSTER-A1", Decimal("30.00")),
    ]  # fmt: skip
    assert lines[0].rule is not None
    assert lines[0].rule.description == "gold -25 %"


def test_an_unknown_or_inactive_product_is_not_found_naming_it(catalog: CatalogHandlers) -> None:
    catalog.create_product(MARKETER, "OLD", product(active=False))
    catalog.create_price_list(MARKETER, "CNY", listing())

    for code in ("NOPE", "OLD"):
        with pytest.raises(NotFound, match=code):
            catalog.price_lines(query((code, "1")))


def test_a_currency_without_a_list_in_force_is_a_failed_precondition(
    catalog: CatalogHandlers,
) -> None:
    catalog.create_product(MARKETER, "POSTER-A1", product())
    catalog.create_price_list(MARKETER, "CNY", listing(valid_until=date(2026, 3, 1)))
    catalog.create_price_list(MARKETER, "CNY", listing(active=False))

    with pytest.raises(FailedPrecondition, match="CNY"):
        catalog.price_lines(query(("POSTER-A1", "1")))
    with pytest.raises(FailedPrecondition, match="EUR"):
        catalog.price_lines(query(("POSTER-A1", "1"), currency="EUR"))


def test_a_quantity_of_zero_is_refused_naming_the_line(catalog: CatalogHandlers) -> None:
    with pytest.raises(ValidationFailed) as refused:
        catalog.price_lines(query(("POSTER-A1", "1"), ("POSTER-A1", "0")))

    assert [v.field for v in refused.value.violations] == ["lines[1].quantity"]


def test_a_product_code_is_taken_once(catalog: CatalogHandlers) -> None:
    catalog.create_product(MARKETER, "POSTER-A1", product())

    with pytest.raises(AlreadyExists):
        catalog.create_product(MARKETER, "POSTER-A1", product())


def test_a_base_list_must_exist_share_the_currency_and_not_lead_back(
    catalog: CatalogHandlers, uow: FakeUnitOfWork
) -> None:
    base = catalog.create_price_list(MARKETER, "CNY", listing())
    euro = catalog.create_price_list(MARKETER, "EUR", listing())
    derived = catalog.create_price_list(MARKETER, "CNY", listing(based_on=base.id))

    for based_on in (uuid4(), euro.id):
        with pytest.raises(ValidationFailed) as refused:
            catalog.create_price_list(MARKETER, "CNY", listing(based_on=based_on))
        assert refused.value.violations[0].field == "price_list.based_on_id"
    with pytest.raises(ValidationFailed, match="back"):
        catalog.update_price_list(MARKETER, base.id, listing(based_on=derived.id), 0)
    assert uow.price_lists.rows[base.id].based_on_id is None


def test_a_change_to_a_moved_on_version_is_a_conflict_and_changes_nothing(
    catalog: CatalogHandlers, uow: FakeUnitOfWork
) -> None:
    created = catalog.create_product(MARKETER, "POSTER-A1", product())
    catalog.update_product(MARKETER, created.id, product("41.00"), 1)

    with pytest.raises(Conflict):
        catalog.update_product(MARKETER, created.id, product("99.00"), 1)
    assert uow.products.rows[created.id].list_price.amount == Decimal("41.00")
