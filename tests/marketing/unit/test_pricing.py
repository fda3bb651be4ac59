"""Prices from price lists: the list price as base, rules that apply by product, quantity,
dates, tier and campaign, the lowest price winning and named, and lists based on others."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from uuid import UUID, uuid4

import pytest
from crm_marketing.domain.catalog import (
    PriceAsked,
    PriceList,
    PriceListChanged,
    PriceRule,
    Product,
    ProductChanged,
    RuleKind,
    best_price,
    price_in,
)
from crm_marketing.domain.values import Money
from crm_platform.errors import PermissionDenied, ValidationFailed

from tests.marketing.unit.fakes import MARKETER, NOW, REP

CAMPAIGN = UUID("00000000-0000-4000-8000-0000000000c1")
DAY = date(2026, 3, 2)


def poster(price: str = "40.00", currency: str = "CNY") -> Product:
    return Product.create(
        id=uuid4(), code="POSTER-A1", name="A1 poster", unit="piece",
        list_price=Money(Decimal(price), currency), active=True, actor=MARKETER, now=NOW,
    )  # fmt: skip


def rule(kind: RuleKind = RuleKind.PERCENT_OFF, **conditions: object) -> PriceRule:
    values: dict[str, object] = {"percent_off": Decimal(10)} if kind is RuleKind.PERCENT_OFF else {}
    values.update(conditions)
    return PriceRule(id=uuid4(), description="a rule", kind=kind, **values)  # type: ignore[arg-type]


def price_list(*rules: PriceRule, based_on: UUID | None = None, currency: str = "CNY") -> PriceList:
    return PriceList.create(
        id=uuid4(), name="Spring", currency=currency, based_on_id=based_on, valid_from=None,
        valid_until=None, rules=rules, active=True, actor=MARKETER, now=NOW,
    )  # fmt: skip


def asked(quantity: str = "1", tier: str | None = None, campaign: UUID | None = None) -> PriceAsked:
    return PriceAsked(Decimal(quantity), DAY, tier, campaign)


def test_without_rules_the_list_price_applies() -> None:
    found = price_in(price_list(), poster(), asked(), {})

    assert found is not None
    assert (found.unit_price, found.list_price, found.rule) == (
        Money(Decimal("40.00"), "CNY"), Money(Decimal("40.00"), "CNY"), None,
    )  # fmt: skip


def test_the_lowest_applying_rule_wins_and_is_named() -> None:
    ten_off = rule(percent_off=Decimal(10))
    fixed = rule(RuleKind.FIXED_PRICE, fixed_price=Decimal("30.00"), min_quantity=Decimal(100))
    other_product = rule(percent_off=Decimal(50), product_code="BROCHURE")
    listed = price_list(ten_off, fixed, other_product)

    few = price_in(listed, poster(), asked("5"), {})
    many = price_in(listed, poster(), asked("100"), {})

    assert few is not None
    assert many is not None
    assert (few.unit_price.amount, few.rule) == (Decimal("36.00"), ten_off)
    assert (many.unit_price.amount, many.rule) == (Decimal("30.00"), fixed)


@pytest.mark.parametrize(
    ("conditions", "applies"),
    [
        ({"customer_tier": "gold"}, True),
        ({"customer_tier": "silver"}, False),
        ({"campaign_id": CAMPAIGN}, True),
        ({"campaign_id": uuid4()}, False),
        ({"valid_from": date(2026, 3, 3)}, False),
        ({"valid_until": date(2026, 3, 1)}, False),
        ({"valid_from": date(2026, 3, 1), "valid_until": date(2026, 3, 2)}, True),
    ],
)
def test_a_rule_applies_only_when_its_conditions_hold(
    conditions: dict[str, object], applies: bool
) -> None:
    found = price_in(
        price_list(rule(**conditions)), poster(), asked(tier="gold", campaign=CAMPAIGN), {}
    )

    assert found is not None
    assert (found.rule is not None) is applies


def test_a_list_based_on_another_starts_from_its_prices() -> None:
    base = price_list(rule(percent_off=Decimal(10)))
    derived = price_list(rule(percent_off=Decimal("12.5")), based_on=base.id)

    found = price_in(derived, poster(), asked(), {base.id: base})

    # 40.00 less 10 % = 36.00, less 12.5 % = 31.50
    assert found is not None
    assert (found.list_price.amount, found.unit_price.amount) == (
        Decimal("36.00"),
        Decimal("31.50"),
    )
    assert found.price_list_id == derived.id


def test_a_list_in_another_currency_has_no_price_for_the_product() -> None:
    assert price_in(price_list(currency="EUR"), poster(), asked(), {}) is None
    in_euro = price_list(currency="EUR")
    assert best_price(poster(), asked(), [in_euro], {in_euro.id: in_euro}) is None


def test_the_cheapest_list_in_force_gives_the_price() -> None:
    plain, spring = price_list(), price_list(rule(percent_off=Decimal(20)))

    found = best_price(poster(), asked(), [plain, spring], {})

    assert found is not None
    assert (found.price_list_id, found.unit_price.amount) == (spring.id, Decimal("32.00"))


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        (rule(percent_off=Decimal(0)), "price_list.rules[0].percent_off"),
        (rule(percent_off=Decimal("100.5")), "price_list.rules[0].percent_off"),
        (rule(percent_off=None), "price_list.rules[0].percent_off"),
        (rule(RuleKind.FIXED_PRICE), "price_list.rules[0].fixed_price"),
        (rule(RuleKind.FIXED_PRICE, fixed_price=Decimal("1.001")),
         "price_list.rules[0].fixed_price"),
        (rule(min_quantity=Decimal(0)), "price_list.rules[0].min_quantity"),
        (rule(valid_from=date(2026, 3, 2), valid_until=date(2026, 3, 1)),
         "price_list.rules[0].valid_until"),
        (replace(rule(), description="  "), "price_list.rules[0].description"),
    ],
)  # fmt: skip
def test_a_bad_rule_is_refused_naming_its_field(bad: PriceRule, field: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        price_list(bad)

    assert [v.field for v in refused.value.violations] == [field]


def test_only_marketing_staff_change_the_catalog_and_each_change_is_an_event() -> None:
    with pytest.raises(PermissionDenied):
        Product.create(
            id=uuid4(), code="X", name="X", unit="piece", list_price=Money(Decimal(1), "CNY"),
            active=True, actor=REP, now=NOW,
        )  # fmt: skip
    product = poster()
    product.revise(
        name="A1 poster, matt", unit="piece", list_price=Money(Decimal("42.00"), "CNY"),
        active=True, actor=MARKETER, now=NOW,
    )  # fmt: skip
    listed = price_list(rule())

    changes = product.pull_events()
    assert [(type(e), e.version) for e in changes] == [(ProductChanged, 1), (ProductChanged, 2)]
    assert isinstance(changes[-1], ProductChanged)
    assert changes[-1].list_price.amount == Decimal(42)
    assert [(type(e), e.version) for e in listed.pull_events()] == [(PriceListChanged, 1)]
