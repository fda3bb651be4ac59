"""The catalog use cases: products, price lists, customer tiers, and the price of quote lines
(PricingService.PriceLines, which sales asks).

Marketers, managers and admins change the catalog; every staff role the proto lets in reads it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID

from crm_platform import paging
from crm_platform.errors import (
    Conflict,
    FailedPrecondition,
    FieldViolation,
    NotFound,
    ValidationFailed,
)
from crm_platform.paging import Page

from crm_marketing.domain.catalog import (
    MAX_BASE_DEPTH,
    TIER_MAX_LENGTH,
    LinePrice,
    PriceAsked,
    PriceList,
    PriceRule,
    Product,
    best_price,
)
from crm_marketing.domain.values import Actor, Money, checked_text, require_marketing_staff
from crm_marketing.service_layer.ports import UnitOfWork


@dataclass(frozen=True)
class ProductInput:
    name: str
    unit: str
    list_price: Money
    active: bool


@dataclass(frozen=True)
class PriceListInput:
    name: str
    based_on_id: UUID | None
    valid_from: date | None
    valid_until: date | None
    rules: tuple[PriceRule, ...]
    active: bool


@dataclass(frozen=True)
class PriceQuery:
    customer_id: UUID
    currency: str
    campaign_id: UUID | None
    lines: Sequence[tuple[str, Decimal]]  # (product code, quantity)
    at: datetime | None  # None: now


def _check_version(kind: str, record_id: UUID, version: int, expected: int) -> None:
    if expected and expected != version:
        raise Conflict(f"{kind} {record_id} is at version {version}, not {expected}")


class CatalogHandlers:
    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.uow_factory = uow_factory
        self.clock = clock

    # -- products ---------------------------------------------------------------------------

    def create_product(self, actor: Actor, code: str, product: ProductInput) -> Product:
        created = Product.create(
            id=uuid.uuid4(),
            code=code,
            name=product.name,
            unit=product.unit,
            list_price=product.list_price,
            active=product.active,
            actor=actor,
            now=self.clock(),
        )
        with self.uow_factory() as uow:
            uow.products.add(created)
            uow.commit()
        return created

    def get_product(self, product_id: UUID) -> Product:
        with self.uow_factory() as uow:
            return _product(uow, product_id)

    def list_products(self, *, page_size: int, page_token: str, active_only: bool) -> Page[Product]:
        limit = paging.page_size(page_size)
        key = paging.decode_token(page_token)
        after = None if key is None else str(key[0])
        with self.uow_factory() as uow:
            rows = uow.products.list(after, limit + 1, active_only=active_only)
        more = len(rows) > limit
        rows = rows[:limit]
        token = paging.encode_token([rows[-1].code]) if more and rows else ""
        return Page(rows, token)

    def update_product(
        self, actor: Actor, product_id: UUID, product: ProductInput, expected_version: int
    ) -> Product:
        with self.uow_factory() as uow:
            found = _product(uow, product_id)
            _check_version("product", product_id, found.version, expected_version)
            found.revise(
                name=product.name,
                unit=product.unit,
                list_price=product.list_price,
                active=product.active,
                actor=actor,
                now=self.clock(),
            )
            uow.products.save(found)
            uow.commit()
        return found

    # -- price lists ------------------------------------------------------------------------

    def create_price_list(
        self, actor: Actor, currency: str, price_list: PriceListInput
    ) -> PriceList:
        created = PriceList.create(
            id=uuid.uuid4(),
            name=price_list.name,
            currency=currency,
            based_on_id=price_list.based_on_id,
            valid_from=price_list.valid_from,
            valid_until=price_list.valid_until,
            rules=price_list.rules,
            active=price_list.active,
            actor=actor,
            now=self.clock(),
        )
        with self.uow_factory() as uow:
            _check_base(uow, created)
            uow.price_lists.add(created)
            uow.commit()
        return created

    def get_price_list(self, price_list_id: UUID) -> PriceList:
        with self.uow_factory() as uow:
            return _price_list(uow, price_list_id)

    def list_price_lists(
        self, currency: str | None, *, page_size: int, page_token: str
    ) -> Page[PriceList]:
        limit = paging.page_size(page_size)
        after = paging.decode_cursor(page_token)
        with self.uow_factory() as uow:
            rows = uow.price_lists.list(currency, after, limit + 1)
        return paging.page_of(rows, limit, lambda found: (found.created_at, found.id))

    def update_price_list(
        self,
        actor: Actor,
        price_list_id: UUID,
        price_list: PriceListInput,
        expected_version: int,
    ) -> PriceList:
        with self.uow_factory() as uow:
            found = _price_list(uow, price_list_id)
            _check_version("price list", price_list_id, found.version, expected_version)
            found.revise(
                name=price_list.name,
                based_on_id=price_list.based_on_id,
                valid_from=price_list.valid_from,
                valid_until=price_list.valid_until,
                rules=price_list.rules,
                active=price_list.active,
                actor=actor,
                now=self.clock(),
            )
            _check_base(uow, found)
            uow.price_lists.save(found)
            uow.commit()
        return found

    # -- tiers and prices -------------------------------------------------------------------

    def set_customer_tier(self, actor: Actor, customer_id: UUID, tier: str) -> str | None:
        require_marketing_staff(actor, "set customer tiers")
        checked = checked_text(tier, "tier", TIER_MAX_LENGTH) or None
        with self.uow_factory() as uow:
            uow.customer_tiers.set(customer_id, checked)
            uow.commit()
        return checked

    def price_lines(self, query: PriceQuery) -> list[LinePrice]:
        """One price per line, in order: NotFound naming a product without a price,
        FailedPrecondition for a currency without a price list in force."""
        violations = [
            FieldViolation(f"lines[{index}].quantity", "must be above 0")
            for index, (_code, quantity) in enumerate(query.lines)
            if quantity <= 0
        ]
        if violations:
            raise ValidationFailed(violations)
        day = (query.at or self.clock()).astimezone(UTC).date()
        with self.uow_factory() as uow:
            lists = uow.price_lists.in_currency(query.currency)
            in_force = [found for found in lists if found.in_force(day)]
            if not in_force:
                raise FailedPrecondition(f"no price list in {query.currency} is in force")
            by_id = {found.id: found for found in lists}
            tier = uow.customer_tiers.tier_of(query.customer_id)
            priced: list[LinePrice] = []
            for code, quantity in query.lines:
                product = uow.products.by_code(code)
                asked = PriceAsked(quantity, day, tier, query.campaign_id)
                price = (
                    None
                    if product is None or not product.active
                    else (best_price(product, asked, in_force, by_id))
                )
                if price is None:
                    raise NotFound(f"no price for product {code} in {query.currency}")
                priced.append(price)
        return priced


def _product(uow: UnitOfWork, product_id: UUID) -> Product:
    found = uow.products.get(product_id)
    if found is None:
        raise NotFound(f"no product {product_id}")
    return found


def _price_list(uow: UnitOfWork, price_list_id: UUID) -> PriceList:
    found = uow.price_lists.get(price_list_id)
    if found is None:
        raise NotFound(f"no price list {price_list_id}")
    return found


def _check_base(uow: UnitOfWork, price_list: PriceList) -> None:
    """The list a price list is based on exists, is in its currency, and does not lead back to
    it (nor deeper than prices are followed)."""
    base_id = price_list.based_on_id
    field = "price_list.based_on_id"
    for _ in range(MAX_BASE_DEPTH):
        if base_id is None:
            return
        if base_id == price_list.id:
            raise ValidationFailed(FieldViolation(field, "leads back to this price list"))
        base = uow.price_lists.get(base_id)
        if base is None:
            raise ValidationFailed(FieldViolation(field, f"no price list {base_id}"))
        if base.currency != price_list.currency:
            raise ValidationFailed(
                FieldViolation(field, f"is in {base.currency}, not in the list's")
            )
        base_id = base.based_on_id
    if base_id is not None:
        raise ValidationFailed(FieldViolation(field, f"bases more than {MAX_BASE_DEPTH} deep"))
