"""Quotes <-> protobuf messages of crm.sales.v1 (quotes.proto), and their events."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from crm_platform.enums import EnumCodec
from crm_platform.errors import FieldViolation, ValidationFailed
from crm_platform.parsing import timestamp
from crm_proto.crm.common.v1 import common_pb2
from crm_proto.crm.sales.v1 import events_pb2, quotes_pb2
from google.protobuf.message import Message

from crm_sales.adapters.messages import money_from_proto, money_to_proto
from crm_sales.domain.quotes import (
    Quote,
    QuoteAccepted,
    QuoteApproved,
    QuoteCreated,
    QuoteEvent,
    QuoteLine,
    QuoteRejected,
    QuoteSent,
    QuoteState,
)
from crm_sales.service_layer.quotes import LineInput

QUOTE_STATES = EnumCodec(QuoteState, quotes_pb2.QuoteState)


def quote_to_proto(quote: Quote, *, today: date, threshold: Decimal) -> quotes_pb2.Quote:
    totals = quote.totals
    message = quotes_pb2.Quote(
        id=str(quote.id),
        customer_id=str(quote.customer_id),
        opportunity_id=_optional_id(quote.opportunity_id),
        owner_id=quote.owner_id or "",
        currency=quote.currency,
        valid_until=quote.valid_until.isoformat(),
        state=QUOTE_STATES.to_proto(quote.state_on(today)),
        lines=[_line(line) for line in quote.lines],
        subtotal=money_to_proto(totals.subtotal),
        discount_total=money_to_proto(totals.discount_total),
        tax_total=money_to_proto(totals.tax_total),
        grand_total=money_to_proto(totals.grand_total),
        needs_approval=quote.needs_approval(threshold),
        discount_rejection=quote.discount_rejection or "",
        customer_reason=quote.customer_reason or "",
        version=quote.version,
        created_at=timestamp(quote.created_at),
        updated_at=timestamp(quote.updated_at),
    )
    if quote.approval is not None:
        message.approved_by = quote.approval.by
        message.approved_at.CopyFrom(timestamp(quote.approval.at))
    if quote.sent_at is not None:
        message.sent_at.CopyFrom(timestamp(quote.sent_at))
    if quote.decided_at is not None:
        message.decided_at.CopyFrom(timestamp(quote.decided_at))
    return message


def lines_from_proto(lines: list[quotes_pb2.QuoteLineInput]) -> list[LineInput]:
    """The lines as given; every malformed number a violation naming its field."""
    inputs: list[LineInput] = []
    violations: list[FieldViolation] = []
    for index, line in enumerate(lines):
        at = f"lines[{index}]"
        try:
            inputs.append(
                LineInput(
                    product_code=line.product_code,
                    description=line.description,
                    quantity=_decimal(line.quantity, f"{at}.quantity"),
                    unit_price=money_from_proto(line.unit_price, f"{at}.unit_price")
                    if line.HasField("unit_price")
                    else None,
                    discount_percent=_decimal(line.discount_percent, f"{at}.discount_percent"),
                    tax_rate_percent=_decimal(line.tax_rate_percent, f"{at}.tax_rate_percent"),
                )
            )
        except ValidationFailed as exc:
            violations.extend(
                FieldViolation(_line_field(v.field, at), v.description) for v in exc.violations
            )
    if violations:
        raise ValidationFailed(violations)
    return inputs


def event_message(event: QuoteEvent, actor: common_pb2.Actor) -> Message:
    """The protobuf event of a quote's domain event."""
    common: dict[str, Any] = {
        "quote_id": str(event.subject_id),
        "customer_id": str(event.customer_id),
        "opportunity_id": _optional_id(event.opportunity_id),
        "owner_id": event.owner_id or "",
        "grand_total": money_to_proto(event.grand_total),
        "version": event.version,
        "actor": actor,
    }
    match event:
        case QuoteCreated():
            return events_pb2.QuoteCreated(**common)
        case QuoteApproved():
            return events_pb2.QuoteApproved(**common)
        case QuoteSent():
            return events_pb2.QuoteSent(valid_until=event.valid_until.isoformat(), **common)
        case QuoteAccepted():
            return events_pb2.QuoteAccepted(**common)
        case QuoteRejected():
            return events_pb2.QuoteRejected(reason=event.reason or "", **common)
    raise TypeError(f"no event message for {type(event).__name__}")


def _line(line: QuoteLine) -> quotes_pb2.QuoteLine:
    source = line.price_source
    return quotes_pb2.QuoteLine(
        product_code=line.product_code,
        description=line.description,
        quantity=str(line.quantity),
        unit_price=money_to_proto(line.unit_price),
        discount_percent=str(line.discount_percent),
        tax_rate_percent=str(line.tax_rate_percent),
        gross=money_to_proto(line.gross),
        discount=money_to_proto(line.discount),
        net=money_to_proto(line.net),
        tax=money_to_proto(line.tax),
        price_list_id="" if source is None else source.price_list_id,
        price_rule="" if source is None else source.rule,
    )


def _line_field(field: str, at: str) -> str:
    """A violation's field as the request names it: Money's own are the unit price's."""
    if field.startswith(at):
        return field
    return f"{at}.unit_price.{'currency_code' if field == 'currency' else field}"


def _decimal(value: str, field: str) -> Decimal:
    """A decimal string; empty is 0 (the proto's default)."""
    if not value.strip():
        return Decimal(0)
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise ValidationFailed(FieldViolation(field, "is not a decimal")) from None
    if not number.is_finite():
        raise ValidationFailed(FieldViolation(field, "must be a finite number"))
    return number


def _optional_id(value: object | None) -> str:
    return "" if value is None else str(value)
