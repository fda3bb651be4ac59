"""Products, price lists and customer tiers over SQLAlchemy Core. A stale version is a
Conflict (ABORTED); a product code taken is a Conflict too (ALREADY_EXISTS)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from crm_platform.errors import AlreadyExists, Conflict
from crm_platform.paging import Cursor
from sqlalchemy.orm import Session

from crm_marketing.adapters.orm import customer_tiers, price_lists, products
from crm_marketing.domain.catalog import PriceList, PriceRule, Product, RuleKind
from crm_marketing.domain.values import Money


def update_versioned(
    session: Session, table: sa.Table, record_id: UUID, read: int, values: dict[str, Any]
) -> None:
    """Write a record changed since it was read at version `read`; Conflict when another
    change came first."""
    result: sa.CursorResult[Any] = session.execute(  # type: ignore[assignment]
        sa.update(table)
        .where(table.c.id == record_id)
        .where(table.c.version == read)
        .values(values)
    )
    if result.rowcount != 1:
        raise Conflict(f"{record_id} was changed concurrently; read it again")


class SqlProductRepository:
    def __init__(self, session: Session, track: Callable[[Product], None]) -> None:
        self.session = session
        self._track = track
        self._loaded: dict[UUID, int] = {}

    def get(self, product_id: UUID) -> Product | None:
        return self._one(products.c.id == product_id)

    def by_code(self, code: str) -> Product | None:
        return self._one(products.c.code == code)

    def add(self, product: Product) -> None:
        taken = self.session.execute(
            sa.select(products.c.id).where(products.c.code == product.code)
        ).first()
        if taken is not None:
            raise AlreadyExists(f"product code {product.code} is taken", existing_id=str(taken.id))
        self.session.execute(sa.insert(products).values(_product_values(product)))
        self._loaded[product.id] = product.version
        self._track(product)

    def save(self, product: Product) -> None:
        read = self._loaded[product.id]
        if product.version != read:
            update_versioned(self.session, products, product.id, read, _product_values(product))
            self._loaded[product.id] = product.version

    def list(self, after: str | None, limit: int, *, active_only: bool) -> list[Product]:
        statement = sa.select(products)
        if active_only:
            statement = statement.where(products.c.active.is_(True))
        if after is not None:
            statement = statement.where(products.c.code > after)
        statement = statement.order_by(products.c.code).limit(limit)
        return [self._loaded_product(row) for row in self.session.execute(statement)]

    def _one(self, condition: sa.ColumnElement[bool]) -> Product | None:
        row = self.session.execute(sa.select(products).where(condition)).first()
        return None if row is None else self._loaded_product(row)

    def _loaded_product(self, row: Any) -> Product:
        document = row.document
        product = Product(
            id=row.id,
            code=row.code,
            name=document["name"],
            unit=document["unit"],
            list_price=Money(Decimal(document["list_price"]), row.currency),
            active=row.active,
            version=row.version,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )
        self._loaded[product.id] = product.version
        self._track(product)
        return product


def _product_values(product: Product) -> dict[str, Any]:
    return {
        "id": product.id,
        "code": product.code,
        "active": product.active,
        "currency": product.list_price.currency,
        "list_price": product.list_price.amount,
        "document": {
            "name": product.name,
            "unit": product.unit,
            "list_price": str(product.list_price.amount),  # exact: the column is for queries
        },
        "version": product.version,
        "created_at": product.created_at,
        "updated_at": product.updated_at,
    }


class SqlPriceListRepository:
    def __init__(self, session: Session, track: Callable[[PriceList], None]) -> None:
        self.session = session
        self._track = track
        self._loaded: dict[UUID, int] = {}

    def get(self, price_list_id: UUID) -> PriceList | None:
        row = self.session.execute(
            sa.select(price_lists).where(price_lists.c.id == price_list_id)
        ).first()
        return None if row is None else self._loaded_list(row)

    def add(self, price_list: PriceList) -> None:
        self.session.execute(sa.insert(price_lists).values(_list_values(price_list)))
        self._loaded[price_list.id] = price_list.version
        self._track(price_list)

    def save(self, price_list: PriceList) -> None:
        read = self._loaded[price_list.id]
        if price_list.version != read:
            values = _list_values(price_list)
            update_versioned(self.session, price_lists, price_list.id, read, values)
            self._loaded[price_list.id] = price_list.version

    def in_currency(self, currency: str) -> list[PriceList]:
        statement = (
            sa.select(price_lists)
            .where(price_lists.c.currency == currency)
            .order_by(price_lists.c.created_at, price_lists.c.id)
        )
        return [self._loaded_list(row) for row in self.session.execute(statement)]

    def list(self, currency: str | None, after: Cursor | None, limit: int) -> list[PriceList]:
        table = price_lists
        statement = sa.select(table)
        if currency is not None:
            statement = statement.where(table.c.currency == currency)
        if after is not None:
            created_at, list_id = after
            statement = statement.where(
                sa.tuple_(table.c.created_at, table.c.id)
                < sa.tuple_(
                    sa.literal(created_at, table.c.created_at.type),
                    sa.literal(list_id, table.c.id.type),
                )
            )
        statement = statement.order_by(table.c.created_at.desc(), table.c.id.desc()).limit(limit)
        return [self._loaded_list(row) for row in self.session.execute(statement)]

    def _loaded_list(self, row: Any) -> PriceList:
        document = row.document
        price_list = PriceList(
            id=row.id,
            name=document["name"],
            currency=row.currency,
            based_on_id=_uuid_of(document["based_on_id"]),
            valid_from=_date_of(document["valid_from"]),
            valid_until=_date_of(document["valid_until"]),
            rules=tuple(_rule_of(rule) for rule in document["rules"]),
            active=row.active,
            version=row.version,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )
        self._loaded[price_list.id] = price_list.version
        self._track(price_list)
        return price_list


def _list_values(price_list: PriceList) -> dict[str, Any]:
    return {
        "id": price_list.id,
        "currency": price_list.currency,
        "active": price_list.active,
        "document": {
            "name": price_list.name,
            "based_on_id": _text(price_list.based_on_id),
            "valid_from": _text(price_list.valid_from),
            "valid_until": _text(price_list.valid_until),
            "rules": [_rule_document(rule) for rule in price_list.rules],
        },
        "version": price_list.version,
        "created_at": price_list.created_at,
        "updated_at": price_list.updated_at,
    }


def _rule_document(rule: PriceRule) -> dict[str, Any]:
    return {
        "id": str(rule.id),
        "description": rule.description,
        "kind": rule.kind.value,
        "product_code": rule.product_code,
        "fixed_price": _text(rule.fixed_price),
        "percent_off": _text(rule.percent_off),
        "min_quantity": _text(rule.min_quantity),
        "valid_from": _text(rule.valid_from),
        "valid_until": _text(rule.valid_until),
        "customer_tier": rule.customer_tier,
        "campaign_id": _text(rule.campaign_id),
    }


def _rule_of(document: dict[str, Any]) -> PriceRule:
    return PriceRule(
        id=UUID(document["id"]),
        description=document["description"],
        kind=RuleKind(document["kind"]),
        product_code=document["product_code"],
        fixed_price=_decimal_of(document["fixed_price"]),
        percent_off=_decimal_of(document["percent_off"]),
        min_quantity=_decimal_of(document["min_quantity"]),
        valid_from=_date_of(document["valid_from"]),
        valid_until=_date_of(document["valid_until"]),
        customer_tier=document["customer_tier"],
        campaign_id=_uuid_of(document["campaign_id"]),
    )


class SqlCustomerTiers:
    def __init__(self, session: Session) -> None:
        self.session = session

    def tier_of(self, customer_id: UUID) -> str | None:
        tier: str | None = self.session.execute(
            sa.select(customer_tiers.c.tier).where(customer_tiers.c.customer_id == customer_id)
        ).scalar_one_or_none()
        return tier

    def set(self, customer_id: UUID, tier: str | None) -> None:
        self.session.execute(
            sa.delete(customer_tiers).where(customer_tiers.c.customer_id == customer_id)
        )
        if tier is not None:
            self.session.execute(
                sa.insert(customer_tiers).values(
                    customer_id=customer_id, tier=tier, updated_at=datetime.now(UTC)
                )
            )


def _text(value: object | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _uuid_of(value: str | None) -> UUID | None:
    return None if value is None else UUID(value)


def _date_of(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def _decimal_of(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)
