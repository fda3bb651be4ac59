"""The quote use cases: draft a quote (pricing the lines given without a price from
marketing's price lists), change its lines, have its discount approved, send it, and the
customer's answer.

Who sees which quote is the service's one rule (service_layer/visibility.py), and a customer
sees only the quotes sent to them: any other is NOT_FOUND. Prices are asked before the unit
of work begins, so a price list service that does not answer leaves nothing saved.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Protocol
from uuid import UUID

from crm_platform import paging
from crm_platform.errors import (
    Conflict,
    FailedPrecondition,
    FieldViolation,
    NotFound,
    PermissionDenied,
    Unavailable,
    ValidationFailed,
)
from crm_platform.paging import Cursor, Page

from crm_sales.domain.quotes import (
    SENT_TO_CUSTOMER,
    PriceSource,
    Quote,
    QuoteLine,
    QuoteState,
    line_violations,
)
from crm_sales.domain.values import Actor, ActorKind, Money
from crm_sales.service_layer.ports import UnitOfWork
from crm_sales.service_layer.visibility import Scope, scope_of, sees_everything

DEFAULT_APPROVAL_THRESHOLD = Decimal(15)


# -- ports ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuoteFilters:
    state: QuoteState | None = None
    customer_id: UUID | None = None
    opportunity_id: UUID | None = None
    # only quotes in these stored states (a customer's: those sent to them)
    states: Collection[QuoteState] | None = None
    # the day `state` is read on: a sent quote past its validity date is expired then
    today: date | None = None


class QuoteRepository(Protocol):
    def get(self, quote_id: UUID) -> Quote | None: ...

    def add(self, quote: Quote) -> None: ...

    def save(self, quote: Quote) -> None: ...

    def list(
        self, scope: Scope, filters: QuoteFilters, after: Cursor | None, limit: int
    ) -> list[Quote]:
        """Visible to `scope`, newest first, before the cursor (created_at, id)."""
        ...


class QuoteUnitOfWork(UnitOfWork, Protocol):
    @property
    def quotes(self) -> QuoteRepository: ...


@dataclass(frozen=True)
class PriceQuery:
    customer_id: UUID
    currency: str
    campaign_id: UUID | None
    lines: tuple[tuple[str, Decimal], ...]  # (product code, quantity)
    at: datetime


@dataclass(frozen=True)
class LinePrice:
    product_code: str
    unit_price: Money
    list_price: Money
    price_list_id: str
    rule: str  # the rule applied, described; empty for the list price


class PriceListsUnavailable(Unavailable):
    """The price list service did not answer (in time): nothing may be priced now."""


class PriceLists(Protocol):
    """Marketing's price lists, asked with the caller's own token."""

    def price_lines(self, query: PriceQuery) -> list[LinePrice]:
        """One price per line of the query, in order."""
        ...


# -- use cases ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LineInput:
    """A line as the caller gave it; no unit price: the price list's."""

    product_code: str
    description: str
    quantity: Decimal
    unit_price: Money | None
    discount_percent: Decimal
    tax_rate_percent: Decimal


Step = Callable[[Quote, Actor, datetime], None]


class QuoteHandlers:
    def __init__(
        self,
        uow_factory: Callable[[], QuoteUnitOfWork],
        price_lists: PriceLists,
        *,
        approval_threshold: Decimal = DEFAULT_APPROVAL_THRESHOLD,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.uow_factory = uow_factory
        self.price_lists = price_lists
        self.approval_threshold = approval_threshold
        self.clock = clock

    def create(
        self,
        actor: Actor,
        *,
        customer_id: UUID,
        opportunity_id: UUID | None,
        currency: str,
        valid_until: date,
        lines: Sequence[LineInput],
        campaign_id: UUID | None,
        owner_id: str | None,
    ) -> Quote:
        if not actor.is_staff:
            raise PermissionDenied(f"{actor.subject!r} may not draft quotes")
        now = self.clock()
        priced = _priced(self.price_lists, lines, customer_id, currency, campaign_id, now)
        with self.uow_factory() as uow:
            if owner_id is None and not sees_everything(actor):
                owner_id = actor.subject  # a rep's quote is theirs
            if owner_id and not scope_of(actor, uow.teams).admits(owner_id=owner_id):
                raise PermissionDenied(f"{actor.subject!r} may not quote for {owner_id!r}")
            quote = Quote.draft(
                id=uuid.uuid4(),
                customer_id=customer_id,
                opportunity_id=opportunity_id,
                owner_id=owner_id,
                currency=currency,
                valid_until=valid_until,
                lines=priced,
                actor=actor,
                now=now,
            )
            uow.quotes.add(quote)
            uow.commit()
        return quote

    def get(self, actor: Actor, quote_id: UUID) -> Quote:
        with self.uow_factory() as uow:
            return _visible(uow, actor, quote_id)

    def list(
        self, actor: Actor, filters: QuoteFilters, *, page_size: int, page_token: str
    ) -> Page[Quote]:
        limit = paging.page_size(page_size)
        after = paging.decode_cursor(page_token)
        filters = replace(filters, today=self.clock().date())
        if actor.kind is ActorKind.CUSTOMER:
            filters = replace(filters, states=SENT_TO_CUSTOMER)
        with self.uow_factory() as uow:
            rows = uow.quotes.list(scope_of(actor, uow.teams), filters, after, limit + 1)
        return paging.page_of(rows, limit, lambda quote: (quote.created_at, quote.id))

    def set_lines(
        self,
        actor: Actor,
        quote_id: UUID,
        expected_version: int,
        lines: Sequence[LineInput],
        campaign_id: UUID | None,
    ) -> Quote:
        """The lines are priced for the quote's customer first, outside the transaction; the
        change then applies only to the version they were priced for."""
        read = self.get(actor, quote_id)
        if expected_version and expected_version != read.version:
            raise _stale(read, expected_version)
        now = self.clock()
        priced = _priced(self.price_lists, lines, read.customer_id, read.currency, campaign_id, now)
        return self.take(
            actor,
            quote_id,
            read.version,
            lambda quote, who, at: quote.set_lines(who, at, priced),
        )

    def request_approval(self, actor: Actor, quote_id: UUID, expected_version: int) -> Quote:
        threshold = self.approval_threshold
        return self.take(
            actor,
            quote_id,
            expected_version,
            lambda quote, who, now: quote.request_approval(who, now, threshold),
        )

    def send(self, actor: Actor, quote_id: UUID, expected_version: int) -> Quote:
        threshold = self.approval_threshold
        return self.take(
            actor,
            quote_id,
            expected_version,
            lambda quote, who, now: quote.send(who, now, threshold),
        )

    def take(self, actor: Actor, quote_id: UUID, expected_version: int, step: Step) -> Quote:
        """One step on the quote, if it is still at `expected_version` (0: whatever version
        it is at)."""
        with self.uow_factory() as uow:
            quote = _visible(uow, actor, quote_id)
            if expected_version and expected_version != quote.version:
                raise _stale(quote, expected_version)
            step(quote, actor, self.clock())
            uow.quotes.save(quote)
            uow.commit()
        return quote


def _priced(
    price_lists: PriceLists,
    lines: Sequence[LineInput],
    customer_id: UUID,
    currency: str,
    campaign_id: UUID | None,
    now: datetime,
) -> list[QuoteLine]:
    """The quote's lines, those without a unit price at the price list's price: asked only
    of lines that are otherwise valid (a bad line is a 422 whether or not it has a price)."""
    invalid = [
        violation
        for index, line in enumerate(lines)
        for violation in line_violations(
            product_code=line.product_code,
            description=line.description,
            quantity=line.quantity,
            discount_percent=line.discount_percent,
            tax_rate_percent=line.tax_rate_percent,
            at=f"lines[{index}]",
        )
    ]
    if invalid:
        raise ValidationFailed(invalid)
    unpriced = [line for line in lines if line.unit_price is None]
    prices: dict[int, LinePrice] = {}
    if unpriced:
        answered = price_lists.price_lines(
            PriceQuery(
                customer_id=customer_id,
                currency=currency,
                campaign_id=campaign_id,
                lines=tuple((line.product_code.strip(), line.quantity) for line in unpriced),
                at=now,
            )
        )
        if len(answered) != len(unpriced):
            raise FailedPrecondition("the price lists did not price every line")
        prices = {id(line): price for line, price in zip(unpriced, answered, strict=True)}
    quote_lines: list[QuoteLine] = []
    violations: list[FieldViolation] = []
    for index, line in enumerate(lines):
        price = prices.get(id(line))
        unit_price = line.unit_price if price is None else price.unit_price
        assert unit_price is not None  # a price for every line without one, above
        try:
            quote_lines.append(
                QuoteLine.of(
                    product_code=line.product_code,
                    description=line.description,
                    quantity=line.quantity,
                    unit_price=unit_price,
                    discount_percent=line.discount_percent,
                    tax_rate_percent=line.tax_rate_percent,
                    price_source=None
                    if price is None
                    else PriceSource(price.price_list_id, price.rule),
                    at=f"lines[{index}]",
                )
            )
        except ValidationFailed as exc:
            violations.extend(exc.violations)
    if violations:
        raise ValidationFailed(violations)
    return quote_lines


def _visible(uow: QuoteUnitOfWork, actor: Actor, quote_id: UUID) -> Quote:
    quote = uow.quotes.get(quote_id)
    if quote is None or not scope_of(actor, uow.teams).admits(
        owner_id=quote.owner_id, customer_id=quote.customer_id
    ):
        raise NotFound(f"no quote {quote_id}")
    if actor.kind is ActorKind.CUSTOMER and quote.state not in SENT_TO_CUSTOMER:
        raise NotFound(f"no quote {quote_id}")  # not sent to them yet
    return quote


def _stale(quote: Quote, expected_version: int) -> Conflict:
    return Conflict(f"quote {quote.id} is at version {quote.version}, not {expected_version}")
