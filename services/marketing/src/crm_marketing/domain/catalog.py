"""The catalog: products with their list prices, and price lists whose rules make the prices
a customer pays. Pure Python; times are UTC and passed in (`now`).

A price list is in one currency. Its base prices are the products' list prices (in that
currency) or, when it is based on another list, that list's prices. Each rule applies to a
line when every condition it sets holds (the product, a minimum quantity, validity dates, the
customer's tier, the campaign asked for); of the rules that apply, the lowest price wins, and
the answer names it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from crm_platform.errors import FieldViolation, ValidationFailed

from crm_marketing.domain.values import (
    CENT,
    Actor,
    Money,
    checked_text,
    money_violation,
    require_marketing_staff,
    validity_violation,
)

CODE = re.compile(r"[A-Z0-9][A-Z0-9_-]{0,63}")
NAME_MAX_LENGTH = 200
UNIT_MAX_LENGTH = 30
TIER_MAX_LENGTH = 30
MAX_RULES = 200


class RuleKind(StrEnum):
    FIXED_PRICE = "fixed_price"
    PERCENT_OFF = "percent_off"


@dataclass
class Product:
    id: UUID
    code: str
    name: str
    unit: str
    list_price: Money
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime
    _events: list[object] = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def create(
        cls,
        *,
        id: UUID,
        code: str,
        name: str,
        unit: str,
        list_price: Money,
        active: bool,
        actor: Actor,
        now: datetime,
    ) -> Product:
        require_marketing_staff(actor, "change the catalog")
        if not CODE.fullmatch(code):
            raise ValidationFailed(
                FieldViolation("code", "must be capital letters, digits, - and _ (at most 64)")
            )
        name, unit = _product_texts(name, unit)
        product = cls(id, code, name, unit, list_price, active, 1, now, now)
        product._events.append(ProductChanged.of(product, actor))
        return product

    def revise(
        self, *, name: str, unit: str, list_price: Money, active: bool, actor: Actor, now: datetime
    ) -> None:
        require_marketing_staff(actor, "change the catalog")
        self.name, self.unit = _product_texts(name, unit)
        self.list_price, self.active = list_price, active
        self.version += 1
        self.updated_at = now
        self._events.append(ProductChanged.of(self, actor))

    def pull_events(self) -> list[object]:
        pulled, self._events = self._events, []
        return pulled


def _product_texts(name: str, unit: str) -> tuple[str, str]:
    violations: list[FieldViolation] = []
    texts = []
    for field_path, value, limit in (
        ("product.name", name, NAME_MAX_LENGTH),
        ("product.unit", unit, UNIT_MAX_LENGTH),
    ):
        try:
            texts.append(checked_text(value, field_path, limit, required=True))
        except ValidationFailed as exc:
            violations.extend(exc.violations)
    if violations:
        raise ValidationFailed(violations)
    return texts[0], texts[1]


@dataclass(frozen=True)
class PriceRule:
    id: UUID
    description: str
    kind: RuleKind
    product_code: str | None = None  # None: every product
    fixed_price: Decimal | None = None  # FIXED_PRICE
    percent_off: Decimal | None = None  # PERCENT_OFF
    min_quantity: Decimal | None = None
    valid_from: date | None = None
    valid_until: date | None = None
    customer_tier: str | None = None
    campaign_id: UUID | None = None

    def violations(self, at: str, currency: str) -> list[FieldViolation]:
        """What is wrong with the rule, each violation under `at` (e.g. "price_list.rules[0]")."""
        found: list[FieldViolation] = []
        if not self.description.strip():
            found.append(FieldViolation(f"{at}.description", "is required"))
        if self.kind is RuleKind.FIXED_PRICE:
            if self.fixed_price is None:
                found.append(FieldViolation(f"{at}.fixed_price", "is required for a fixed price"))
            else:
                wrong = money_violation(self.fixed_price, currency, "")
                if wrong is not None:
                    found.append(FieldViolation(f"{at}.fixed_price", wrong.description))
        if self.kind is RuleKind.PERCENT_OFF:
            percent = self.percent_off
            if percent is None:
                found.append(FieldViolation(f"{at}.percent_off", "is required for a discount"))
            elif not (0 < percent <= 100) or percent != percent.quantize(CENT):
                found.append(
                    FieldViolation(f"{at}.percent_off", "must be in (0, 100], at most 2 places")
                )
        if self.min_quantity is not None and self.min_quantity <= 0:
            found.append(FieldViolation(f"{at}.min_quantity", "must be above 0"))
        if self.product_code is not None and not CODE.fullmatch(self.product_code):
            found.append(FieldViolation(f"{at}.product_code", "is not a product code"))
        if self.customer_tier is not None and len(self.customer_tier) > TIER_MAX_LENGTH:
            found.append(FieldViolation(f"{at}.customer_tier", "is too long"))
        wrong_dates = validity_violation(self.valid_from, self.valid_until, f"{at}.")
        if wrong_dates is not None:
            found.append(wrong_dates)
        return found

    def applies(
        self,
        product_code: str,
        quantity: Decimal,
        day: date,
        tier: str | None,
        campaign_id: UUID | None,
    ) -> bool:
        return (
            (self.product_code is None or self.product_code == product_code)
            and (self.min_quantity is None or quantity >= self.min_quantity)
            and (self.valid_from is None or day >= self.valid_from)
            and (self.valid_until is None or day <= self.valid_until)
            and (self.customer_tier is None or self.customer_tier == tier)
            and (self.campaign_id is None or self.campaign_id == campaign_id)
        )

    def price(self, base: Money) -> Money:
        if self.kind is RuleKind.FIXED_PRICE:
            assert self.fixed_price is not None
            return Money(self.fixed_price, base.currency)
        assert self.percent_off is not None
        return base.less_percent(self.percent_off)


@dataclass
class PriceList:
    id: UUID
    name: str
    currency: str
    based_on_id: UUID | None
    valid_from: date | None
    valid_until: date | None
    rules: tuple[PriceRule, ...]
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime
    _events: list[object] = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def create(
        cls,
        *,
        id: UUID,
        name: str,
        currency: str,
        based_on_id: UUID | None,
        valid_from: date | None,
        valid_until: date | None,
        rules: tuple[PriceRule, ...],
        active: bool,
        actor: Actor,
        now: datetime,
    ) -> PriceList:
        require_marketing_staff(actor, "change the price lists")
        price_list = cls(
            id, "", currency, None, None, None, (), active, 0, now, now
        )  # filled and checked by revise
        price_list.revise(
            name=name,
            based_on_id=based_on_id,
            valid_from=valid_from,
            valid_until=valid_until,
            rules=rules,
            active=active,
            actor=actor,
            now=now,
        )
        return price_list

    def revise(
        self,
        *,
        name: str,
        based_on_id: UUID | None,
        valid_from: date | None,
        valid_until: date | None,
        rules: tuple[PriceRule, ...],
        active: bool,
        actor: Actor,
        now: datetime,
    ) -> None:
        require_marketing_staff(actor, "change the price lists")
        violations: list[FieldViolation] = []
        try:
            name = checked_text(name, "price_list.name", NAME_MAX_LENGTH, required=True)
        except ValidationFailed as exc:
            violations.extend(exc.violations)
        if based_on_id == self.id:
            violations.append(FieldViolation("price_list.based_on_id", "must be another list"))
        wrong_dates = validity_violation(valid_from, valid_until, "price_list.")
        if wrong_dates is not None:
            violations.append(wrong_dates)
        if len(rules) > MAX_RULES:
            violations.append(FieldViolation("price_list.rules", f"at most {MAX_RULES}"))
        for index, rule in enumerate(rules):
            violations.extend(rule.violations(f"price_list.rules[{index}]", self.currency))
        if violations:
            raise ValidationFailed(violations)
        self.name, self.based_on_id = name, based_on_id
        self.valid_from, self.valid_until = valid_from, valid_until
        self.rules = tuple(replace(rule, description=rule.description.strip()) for rule in rules)
        self.active = active
        self.version += 1
        self.updated_at = now
        self._events.append(PriceListChanged.of(self, actor))

    def in_force(self, day: date) -> bool:
        return (
            self.active
            and (self.valid_from is None or day >= self.valid_from)
            and (self.valid_until is None or day <= self.valid_until)
        )

    def pull_events(self) -> list[object]:
        pulled, self._events = self._events, []
        return pulled


# -- pricing ------------------------------------------------------------------------------------

# how deep "based on another list" may go: far beyond any real catalog, and no endless loop
MAX_BASE_DEPTH = 8


@dataclass(frozen=True)
class PriceAsked:
    """What a line's price depends on beside the product and the list."""

    quantity: Decimal
    day: date
    tier: str | None
    campaign_id: UUID | None


@dataclass(frozen=True)
class LinePrice:
    product_code: str
    unit_price: Money
    list_price: Money  # the list's base price, before the rule
    rule: PriceRule | None  # None: the base price applies
    price_list_id: UUID


def price_in(
    price_list: PriceList,
    product: Product,
    asked: PriceAsked,
    lists: dict[UUID, PriceList],
    depth: int = 0,
) -> LinePrice | None:
    """The product's price in one list; None when the list has no price for it (its list price
    is in another currency, or the list it is based on has none)."""
    if price_list.based_on_id is not None:
        base_list = lists.get(price_list.based_on_id)
        if base_list is None or depth >= MAX_BASE_DEPTH:
            return None
        inner = price_in(base_list, product, asked, lists, depth + 1)
        if inner is None or inner.unit_price.currency != price_list.currency:
            return None
        base = inner.unit_price
    elif product.list_price.currency == price_list.currency:
        base = product.list_price
    else:
        return None
    best: LinePrice = LinePrice(product.code, base, base, None, price_list.id)
    for rule in price_list.rules:
        if rule.applies(product.code, asked.quantity, asked.day, asked.tier, asked.campaign_id):
            priced = rule.price(base)
            if priced.amount < best.unit_price.amount:
                best = LinePrice(product.code, priced, base, rule, price_list.id)
    return best


def best_price(
    product: Product, asked: PriceAsked, in_force: list[PriceList], lists: dict[UUID, PriceList]
) -> LinePrice | None:
    """The lowest price the lists in force give the product (the first list on a tie)."""
    best: LinePrice | None = None
    for price_list in in_force:
        priced = price_in(price_list, product, asked, lists)
        if priced is not None and (
            best is None or priced.unit_price.amount < best.unit_price.amount
        ):
            best = priced
    return best


# -- events -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProductChanged:
    subject_id: UUID
    version: int
    actor: Actor
    code: str
    name: str
    unit: str
    list_price: Money
    active: bool

    @classmethod
    def of(cls, product: Product, actor: Actor) -> ProductChanged:
        return cls(
            product.id,
            product.version,
            actor,
            product.code,
            product.name,
            product.unit,
            product.list_price,
            product.active,
        )


@dataclass(frozen=True)
class PriceListChanged:
    subject_id: UUID
    version: int
    actor: Actor
    name: str
    currency: str
    active: bool
    rule_count: int

    @classmethod
    def of(cls, price_list: PriceList, actor: Actor) -> PriceListChanged:
        return cls(
            price_list.id,
            price_list.version,
            actor,
            price_list.name,
            price_list.currency,
            price_list.active,
            len(price_list.rules),
        )
