"""Domain values <-> protobuf messages of crm.marketing.v1 (catalog.proto, pricing.proto)."""

from __future__ import annotations

import uuid
from datetime import date
from uuid import UUID

from crm_platform import parsing
from crm_platform.enums import EnumCodec
from crm_platform.parsing import timestamp
from crm_proto.crm.common.v1 import common_pb2
from crm_proto.crm.marketing.v1 import catalog_pb2, pricing_pb2

from crm_marketing.domain.catalog import LinePrice, PriceList, PriceRule, Product, RuleKind
from crm_marketing.domain.values import ActorKind, Money, date_of, decimal_of
from crm_marketing.service_layer.catalog import PriceListInput, ProductInput

ACTOR_KINDS = EnumCodec(ActorKind, common_pb2.ActorKind)
RULE_KINDS = EnumCodec(RuleKind, catalog_pb2.RuleKind)


def money_to_proto(money: Money) -> common_pb2.Money:
    return common_pb2.Money(currency_code=money.currency, amount=str(money.amount))


def _text(value: date | UUID | object | None) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def product_to_proto(product: Product) -> catalog_pb2.Product:
    return catalog_pb2.Product(
        id=str(product.id),
        code=product.code,
        name=product.name,
        unit=product.unit,
        list_price=money_to_proto(product.list_price),
        active=product.active,
        version=product.version,
        created_at=timestamp(product.created_at),
        updated_at=timestamp(product.updated_at),
    )


def product_input(message: catalog_pb2.ProductInput) -> ProductInput:
    price = message.list_price
    return ProductInput(
        name=message.name,
        unit=message.unit,
        list_price=Money.of(price.amount, price.currency_code, "product.list_price"),
        active=message.active,
    )


def rule_to_proto(rule: PriceRule) -> catalog_pb2.PriceRule:
    return catalog_pb2.PriceRule(
        id=str(rule.id),
        description=rule.description,
        kind=RULE_KINDS.to_proto(rule.kind),
        product_code=rule.product_code or "",
        fixed_price=_text(rule.fixed_price),
        percent_off=_text(rule.percent_off),
        min_quantity=_text(rule.min_quantity),
        valid_from=_text(rule.valid_from),
        valid_until=_text(rule.valid_until),
        customer_tier=rule.customer_tier or "",
        campaign_id=_text(rule.campaign_id),
    )


def rule_of(message: catalog_pb2.PriceRule, at: str) -> PriceRule:
    """A rule as the caller gave it: a rule sent back with its id keeps it, a new one gets one."""
    return PriceRule(
        id=parsing.optional_uuid(message.id, f"{at}.id") or uuid.uuid4(),
        description=message.description,
        kind=RULE_KINDS.required(message.kind, f"{at}.kind"),
        product_code=message.product_code.strip() or None,
        fixed_price=decimal_of(message.fixed_price, f"{at}.fixed_price"),
        percent_off=decimal_of(message.percent_off, f"{at}.percent_off"),
        min_quantity=decimal_of(message.min_quantity, f"{at}.min_quantity"),
        valid_from=date_of(message.valid_from, f"{at}.valid_from"),
        valid_until=date_of(message.valid_until, f"{at}.valid_until"),
        customer_tier=message.customer_tier.strip() or None,
        campaign_id=parsing.optional_uuid(message.campaign_id, f"{at}.campaign_id"),
    )


def price_list_to_proto(price_list: PriceList) -> catalog_pb2.PriceList:
    return catalog_pb2.PriceList(
        id=str(price_list.id),
        name=price_list.name,
        currency=price_list.currency,
        based_on_id=_text(price_list.based_on_id),
        valid_from=_text(price_list.valid_from),
        valid_until=_text(price_list.valid_until),
        rules=[rule_to_proto(rule) for rule in price_list.rules],
        active=price_list.active,
        version=price_list.version,
        created_at=timestamp(price_list.created_at),
        updated_at=timestamp(price_list.updated_at),
    )


def price_list_input(message: catalog_pb2.PriceListInput) -> PriceListInput:
    return PriceListInput(
        name=message.name,
        based_on_id=parsing.optional_uuid(message.based_on_id, "price_list.based_on_id"),
        valid_from=date_of(message.valid_from, "price_list.valid_from"),
        valid_until=date_of(message.valid_until, "price_list.valid_until"),
        rules=tuple(
            rule_of(rule, f"price_list.rules[{index}]") for index, rule in enumerate(message.rules)
        ),
        active=message.active,
    )


def line_price_to_proto(line: LinePrice) -> pricing_pb2.LinePrice:
    message = pricing_pb2.LinePrice(
        product_code=line.product_code,
        unit_price=money_to_proto(line.unit_price),
        list_price=money_to_proto(line.list_price),
        price_list_id=str(line.price_list_id),
    )
    if line.rule is not None:
        message.rule_applied.CopyFrom(
            pricing_pb2.RuleApplied(id=str(line.rule.id), description=line.rule.description)
        )
    return message
