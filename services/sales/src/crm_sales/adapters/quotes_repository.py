"""Quotes over SQLAlchemy Core: the columns they are found by, the lines, approval and answer
as a JSON document (decimals and times as strings). A stale version is a Conflict (ABORTED)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from crm_platform.errors import Conflict
from crm_platform.paging import Cursor
from sqlalchemy.orm import Session

from crm_sales.adapters.orm import quotes
from crm_sales.adapters.visibility import visible
from crm_sales.domain.quotes import Approval, PriceSource, Quote, QuoteLine, QuoteState
from crm_sales.domain.values import Money
from crm_sales.service_layer.quotes import QuoteFilters
from crm_sales.service_layer.visibility import Scope

Json = dict[str, Any]


class SqlQuoteRepository:
    def __init__(self, session: Session, track: Callable[[Quote], None]) -> None:
        self.session = session
        self._track = track  # the unit of work's: it collects the events of what is read here
        self._loaded: dict[UUID, int] = {}

    def get(self, quote_id: UUID) -> Quote | None:
        row = self.session.execute(sa.select(quotes).where(quotes.c.id == quote_id)).first()
        return None if row is None else self._loaded_quote(row)

    def add(self, quote: Quote) -> None:
        self.session.execute(sa.insert(quotes).values(_values(quote)))
        self._loaded[quote.id] = quote.version
        self._track(quote)

    def save(self, quote: Quote) -> None:
        read = self._loaded[quote.id]
        if quote.version == read:
            return
        result: sa.CursorResult[Any] = self.session.execute(  # type: ignore[assignment]
            sa.update(quotes)
            .where(quotes.c.id == quote.id)
            .where(quotes.c.version == read)
            .values(_values(quote))
        )
        if result.rowcount != 1:
            raise Conflict(f"quote {quote.id} was changed concurrently; read it again")
        self._loaded[quote.id] = quote.version

    def list(
        self, scope: Scope, filters: QuoteFilters, after: Cursor | None, limit: int
    ) -> list[Quote]:
        table = quotes
        statement = sa.select(table).where(visible(scope, table))
        if filters.customer_id is not None:
            statement = statement.where(table.c.customer_id == filters.customer_id)
        if filters.opportunity_id is not None:
            statement = statement.where(table.c.opportunity_id == filters.opportunity_id)
        if filters.states is not None:
            statement = statement.where(table.c.state.in_(sorted(s.value for s in filters.states)))
        if filters.state is not None:
            statement = statement.where(_in_state(filters.state, filters.today))
        if after is not None:
            created_at, quote_id = after
            statement = statement.where(
                sa.tuple_(table.c.created_at, table.c.id)
                < sa.tuple_(
                    sa.literal(created_at, table.c.created_at.type),
                    sa.literal(quote_id, table.c.id.type),
                )
            )
        statement = statement.order_by(table.c.created_at.desc(), table.c.id.desc()).limit(limit)
        return [self._loaded_quote(row) for row in self.session.execute(statement)]

    def _loaded_quote(self, row: Any) -> Quote:
        document: Json = row.document
        approval = document["approval"]
        quote = Quote(
            id=row.id,
            customer_id=row.customer_id,
            opportunity_id=row.opportunity_id,
            owner_id=row.owner_id,
            currency=row.currency,
            valid_until=row.valid_until,
            lines=[_line_of(line, row.currency) for line in document["lines"]],
            state=QuoteState(row.state),
            approval=None
            if approval is None
            else Approval(approval["by"], datetime.fromisoformat(approval["at"])),
            discount_rejection=document["discount_rejection"],
            sent_at=_time_of(document["sent_at"]),
            decided_at=_time_of(document["decided_at"]),
            customer_reason=document["customer_reason"],
            version=row.version,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )
        self._loaded[quote.id] = quote.version
        self._track(quote)
        return quote


def _in_state(state: QuoteState, today: date | None) -> sa.ColumnElement[bool]:
    """Quotes that read as `state` on `today`: expired is stored as sent, past its date."""
    table = quotes
    if today is None or state not in (QuoteState.SENT, QuoteState.EXPIRED):
        return table.c.state == state.value
    sent = table.c.state == QuoteState.SENT.value
    if state is QuoteState.EXPIRED:
        return sa.and_(sent, table.c.valid_until < today)
    return sa.and_(sent, table.c.valid_until >= today)


def _values(quote: Quote) -> dict[str, Any]:
    return {
        "id": quote.id,
        "customer_id": quote.customer_id,
        "opportunity_id": quote.opportunity_id,
        "owner_id": quote.owner_id,
        "state": quote.state.value,
        "currency": quote.currency,
        "grand_total": quote.totals.grand_total.amount,
        "valid_until": quote.valid_until,
        "document": {
            "lines": [_line(line) for line in quote.lines],
            "approval": None
            if quote.approval is None
            else {"by": quote.approval.by, "at": quote.approval.at.isoformat()},
            "discount_rejection": quote.discount_rejection,
            "sent_at": _time(quote.sent_at),
            "decided_at": _time(quote.decided_at),
            "customer_reason": quote.customer_reason,
        },
        "version": quote.version,
        "created_at": quote.created_at,
        "updated_at": quote.updated_at,
    }


def _line(line: QuoteLine) -> Json:
    source = line.price_source
    return {
        "product_code": line.product_code,
        "description": line.description,
        "quantity": str(line.quantity),
        "unit_price": str(line.unit_price.amount),
        "discount_percent": str(line.discount_percent),
        "tax_rate_percent": str(line.tax_rate_percent),
        "price_source": None
        if source is None
        else {"price_list_id": source.price_list_id, "rule": source.rule},
    }


def _line_of(value: Json, currency: str) -> QuoteLine:
    source = value["price_source"]
    return QuoteLine(
        product_code=value["product_code"],
        description=value["description"],
        quantity=Decimal(value["quantity"]),
        unit_price=Money(Decimal(value["unit_price"]), currency),
        discount_percent=Decimal(value["discount_percent"]),
        tax_rate_percent=Decimal(value["tax_rate_percent"]),
        price_source=None
        if source is None
        else PriceSource(source["price_list_id"], source["rule"]),
    )


def _time(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _time_of(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)
