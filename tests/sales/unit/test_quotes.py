"""Quotes: line amounts and totals in Decimal, rounded half up to the cent per line; the
approval threshold; the states from draft to the customer's answer; and the handlers' pricing
of lines without a price (the price lists asked before anything is saved)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

import pytest
from crm_platform.errors import FailedPrecondition, NotFound, PermissionDenied, ValidationFailed
from crm_sales.domain.quotes import (
    Quote,
    QuoteAccepted,
    QuoteApproved,
    QuoteCreated,
    QuoteLine,
    QuoteRejected,
    QuoteSent,
    QuoteState,
    totals,
)
from crm_sales.domain.values import Money
from crm_sales.service_layer.quotes import (
    LineInput,
    LinePrice,
    PriceListsUnavailable,
    PriceQuery,
    QuoteFilters,
    QuoteHandlers,
)
from crm_sales.service_layer.visibility import Scope
from hypothesis import given
from hypothesis import strategies as st

from tests.sales.unit.support import (
    ADMIN,
    CUSTOMER,
    CUSTOMER_ID,
    MANAGER,
    NOW,
    OTHER_CUSTOMER,
    REP,
    money,
)

THRESHOLD = Decimal(15)
VALID_UNTIL = NOW.date() + timedelta(days=30)


def line(
    quantity: str = "1",
    price: str = "100.00",
    discount: str = "0",
    tax: str = "0",
    currency: str = "EUR",
) -> QuoteLine:
    return QuoteLine.of(
        product_code="POSTER-A1",
        description="A1 poster, matte",
        quantity=Decimal(quantity),
        unit_price=money(price, currency),
        discount_percent=Decimal(discount),
        tax_rate_percent=Decimal(tax),
    )


def draft(*lines: QuoteLine, valid_until: date = VALID_UNTIL) -> Quote:
    quote = Quote.draft(
        id=uuid4(),
        customer_id=CUSTOMER_ID,
        opportunity_id=None,
        owner_id=REP.subject,
        currency="EUR",
        valid_until=valid_until,
        lines=list(lines) or [line()],
        actor=REP,
        now=NOW,
    )
    return quote


# -- amounts --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quantity", "price", "discount", "tax", "gross", "net", "line_tax"),
    [
        ("1", "100.00", "0", "0", "100.00", "100.00", "0.00"),
        ("3", "19.99", "10", "20", "59.97", "53.97", "10.79"),  # 53.973 -> 53.97; 10.794
        ("1", "0.05", "50", "0", "0.05", "0.03", "0.00"),  # 0.025 rounds half up
        ("1", "0.01", "50", "50", "0.01", "0.01", "0.01"),  # 0.005 -> 0.01; 0.005 -> 0.01
        ("2.5", "3.33", "0", "0", "8.33", "8.33", "0.00"),  # 8.325 -> 8.33
        ("0.001", "1.00", "0", "0", "0.00", "0.00", "0.00"),
        ("1", "100.00", "100", "13", "100.00", "0.00", "0.00"),
        ("7", "14.29", "15.01", "6", "100.03", "85.02", "5.10"),  # 85.015... -> 85.02
        ("1", "999.99", "33.33", "8.25", "999.99", "666.69", "55.00"),
    ],
)
def test_a_line_rounds_half_up_to_the_cent(
    quantity: str, price: str, discount: str, tax: str, gross: str, net: str, line_tax: str
) -> None:
    quoted = line(quantity, price, discount, tax)

    assert quoted.gross == money(gross)
    assert quoted.net == money(net)
    assert quoted.discount == money(gross) - money(net)
    assert quoted.tax == money(line_tax)


def test_totals_are_the_sums_of_the_rounded_lines() -> None:
    # three lines of 0.005 each would be 0.015 unrounded: the quote shows what its lines show
    lines = [line("1", "0.01", "50") for _ in range(3)]

    summed = totals(lines, "EUR")

    assert summed.subtotal == money("0.03")
    assert summed.discount_total == money("0.00")
    assert summed.grand_total == money("0.03")


AMOUNTS = st.decimals(min_value=0, max_value=Decimal("99999.99"), places=2)
QUANTITIES = st.decimals(min_value=Decimal("0.001"), max_value=Decimal("9999.999"), places=3)
PERCENTS = st.decimals(min_value=0, max_value=100, places=2)


@given(st.lists(st.tuples(QUANTITIES, AMOUNTS, PERCENTS, PERCENTS), min_size=1, max_size=20))
def test_totals_always_add_up_to_the_lines(
    specs: list[tuple[Decimal, Decimal, Decimal, Decimal]],
) -> None:
    lines = [
        QuoteLine.of(
            product_code="P",
            description="",
            quantity=quantity,
            unit_price=Money(price, "EUR"),
            discount_percent=discount,
            tax_rate_percent=tax,
        )
        for quantity, price, discount, tax in specs
    ]

    summed = totals(lines, "EUR")

    assert summed.grand_total.amount == sum(
        (ln.net.amount + ln.tax.amount for ln in lines), Decimal(0)
    )
    assert summed.subtotal - summed.discount_total == Money(
        sum((ln.net.amount for ln in lines), Decimal(0)), "EUR"
    )
    for amount in (summed.subtotal, summed.discount_total, summed.tax_total, summed.grand_total):
        assert isinstance(amount.amount, Decimal)
        assert amount.amount == amount.amount.quantize(Decimal("0.01"))
    for ln in lines:
        assert ln.net.amount <= ln.gross.amount
        assert ln.tax.amount <= ln.net.amount


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("line.quantity", {"quantity": "0"}),
        ("line.quantity", {"quantity": "-1"}),
        ("line.quantity", {"quantity": "1.0001"}),
        ("line.discount_percent", {"discount": "100.01"}),
        ("line.discount_percent", {"discount": "-1"}),
        ("line.discount_percent", {"discount": "10.001"}),
        ("line.tax_rate_percent", {"tax": "101"}),
    ],
)
def test_a_bad_line_names_its_field(field: str, kwargs: dict[str, str]) -> None:
    with pytest.raises(ValidationFailed) as refused:
        line(**kwargs)

    assert [v.field for v in refused.value.violations] == [field]


def test_a_line_in_another_currency_is_refused() -> None:
    with pytest.raises(ValidationFailed) as refused:
        draft(line(currency="USD"))

    assert refused.value.violations[0].field == "lines[0].unit_price.currency_code"


def test_a_quote_valid_until_yesterday_is_refused() -> None:
    with pytest.raises(ValidationFailed) as refused:
        draft(valid_until=NOW.date() - timedelta(days=1))

    assert refused.value.violations[0].field == "valid_until"


# -- approval and states --------------------------------------------------------------------------


@pytest.mark.parametrize(("discount", "needs"), [("15.00", False), ("15.01", True), ("0", False)])
def test_only_a_discount_above_the_threshold_needs_approval(discount: str, needs: bool) -> None:
    quote = draft(line(discount="5"), line(discount=discount))

    assert quote.needs_approval(THRESHOLD) is needs


def test_a_discount_at_the_threshold_is_sent_at_once() -> None:
    quote = draft(line(discount="15.00"))

    quote.send(REP, NOW, THRESHOLD)

    assert quote.state is QuoteState.SENT


def test_a_discount_above_the_threshold_is_sent_only_once_a_manager_approves() -> None:
    quote = draft(line(discount="20"))
    quote.pull_events()

    with pytest.raises(FailedPrecondition, match="approval"):
        quote.send(REP, NOW, THRESHOLD)
    assert (quote.state, quote.version) == (QuoteState.DRAFT, 1)
    quote.request_approval(REP, NOW, THRESHOLD)
    with pytest.raises(PermissionDenied):
        quote.approve(REP, NOW)
    quote.approve(MANAGER, NOW)
    quote.send(REP, NOW, THRESHOLD)

    assert quote.state is QuoteState.SENT
    assert quote.approval is not None
    assert quote.approval.by == MANAGER.subject
    events = quote.pull_events()
    assert [type(e) for e in events] == [QuoteApproved, QuoteSent]
    assert [(e.version, e.actor) for e in events] == [(3, MANAGER), (4, REP)]  # type: ignore[attr-defined]


def test_nobody_approves_the_discount_of_their_own_quote() -> None:
    quote = Quote.draft(
        id=uuid4(), customer_id=CUSTOMER_ID, opportunity_id=None, owner_id=MANAGER.subject,
        currency="EUR", valid_until=VALID_UNTIL, lines=[line(discount="30")], actor=MANAGER,
        now=NOW,
    )  # fmt: skip
    quote.request_approval(MANAGER, NOW, THRESHOLD)

    with pytest.raises(PermissionDenied, match="own"):
        quote.approve(MANAGER, NOW)
    quote.approve(ADMIN, NOW)

    assert quote.state is QuoteState.APPROVED


def test_changing_a_line_after_approval_drops_the_approval() -> None:
    quote = draft(line(discount="20"))
    quote.request_approval(REP, NOW, THRESHOLD)
    quote.approve(MANAGER, NOW)

    quote.set_lines(REP, NOW, [line(discount="25")])

    assert (quote.state, quote.approval) == (QuoteState.DRAFT, None)
    with pytest.raises(FailedPrecondition):
        quote.send(REP, NOW, THRESHOLD)


def test_a_refused_discount_goes_back_to_draft_with_the_reason() -> None:
    quote = draft(line(discount="40"))
    quote.request_approval(REP, NOW, THRESHOLD)

    quote.reject_discount(MANAGER, NOW, "Too deep for a first order")

    assert (quote.state, quote.discount_rejection) == (
        QuoteState.DRAFT,
        "Too deep for a first order",
    )


def test_approval_is_not_asked_for_a_quote_that_needs_none() -> None:
    with pytest.raises(FailedPrecondition):
        draft(line(discount="15")).request_approval(REP, NOW, THRESHOLD)


def test_the_customer_accepts_a_sent_quote() -> None:
    quote = draft()
    quote.send(REP, NOW, THRESHOLD)
    quote.pull_events()

    with pytest.raises(PermissionDenied):
        quote.accept(OTHER_CUSTOMER, NOW)
    with pytest.raises(PermissionDenied):
        quote.accept(REP, NOW)
    quote.accept(CUSTOMER, NOW + timedelta(days=1))

    assert quote.state is QuoteState.ACCEPTED
    (accepted,) = quote.pull_events()
    assert isinstance(accepted, QuoteAccepted)
    assert (accepted.actor, accepted.grand_total) == (CUSTOMER, money("100.00"))
    with pytest.raises(FailedPrecondition):
        quote.reject(CUSTOMER, NOW, "changed my mind")


def test_the_customer_rejects_with_a_reason() -> None:
    quote = draft()
    quote.send(REP, NOW, THRESHOLD)

    quote.reject(CUSTOMER, NOW, "  Too expensive ")

    assert (quote.state, quote.customer_reason) == (QuoteState.REJECTED, "Too expensive")
    assert isinstance(quote.pull_events()[-1], QuoteRejected)


def test_a_sent_quote_past_its_date_is_expired_and_cannot_be_accepted() -> None:
    quote = draft(valid_until=NOW.date())
    quote.send(REP, NOW, THRESHOLD)
    the_day_after = NOW + timedelta(days=1)

    assert quote.state_on(NOW.date()) is QuoteState.SENT
    assert quote.state_on(the_day_after.date()) is QuoteState.EXPIRED
    with pytest.raises(FailedPrecondition, match="expired"):
        quote.accept(CUSTOMER, the_day_after)
    assert quote.state is QuoteState.SENT


def test_a_sent_quote_is_no_longer_changed() -> None:
    quote = draft()
    quote.send(REP, NOW, THRESHOLD)

    with pytest.raises(FailedPrecondition):
        quote.set_lines(REP, NOW, [line("2")])
    with pytest.raises(FailedPrecondition):
        quote.send(REP, NOW, THRESHOLD)


def test_only_staff_draft_quotes() -> None:
    with pytest.raises(PermissionDenied):
        Quote.draft(
            id=uuid4(),
            customer_id=CUSTOMER_ID,
            opportunity_id=None,
            owner_id=None,
            currency="EUR",
            valid_until=VALID_UNTIL,
            lines=[line()],
            actor=CUSTOMER,
            now=NOW,
        )


def test_a_new_quote_records_that_it_was_created() -> None:
    (created,) = draft().pull_events()

    assert isinstance(created, QuoteCreated)
    assert (created.version, created.actor, created.customer_id) == (1, REP, CUSTOMER_ID)


# -- the handlers ---------------------------------------------------------------------------------


class FakeQuotes:
    def __init__(self) -> None:
        self.rows: dict[UUID, Quote] = {}

    def get(self, quote_id: UUID) -> Quote | None:
        return self.rows.get(quote_id)

    def add(self, quote: Quote) -> None:
        self.rows[quote.id] = quote

    def save(self, quote: Quote) -> None:
        self.rows[quote.id] = quote

    def list(self, scope: Scope, filters: QuoteFilters, after: object, limit: int) -> list[Quote]:
        return [
            q
            for q in self.rows.values()
            if scope.admits(owner_id=q.owner_id, customer_id=q.customer_id)
            and (filters.states is None or q.state in filters.states)
        ][:limit]


class NoTeams:
    def colleagues_of(self, subject: str) -> frozenset[str]:
        return frozenset()


class FakeUnitOfWork:
    def __init__(self) -> None:
        self.quotes = FakeQuotes()
        self.teams = NoTeams()
        self.commits = 0

    def __enter__(self) -> FakeUnitOfWork:
        return self

    def __exit__(self, *args: object) -> None:
        return None

    def commit(self) -> None:
        self.commits += 1

    def rollback(self) -> None:
        return None


class PriceBook:
    """Every product at 40.00 EUR less 10 %, by the spring campaign's rule."""

    def __init__(self, *, down: bool = False) -> None:
        self.asked: list[PriceQuery] = []
        self.down = down

    def price_lines(self, query: PriceQuery) -> list[LinePrice]:
        self.asked.append(query)
        if self.down:
            raise PriceListsUnavailable("the price lists did not answer: UNAVAILABLE")
        return [
            LinePrice(code, money("36.00"), money("40.00"), "pl-1", "spring campaign -10 %")
            for code, _quantity in query.lines
        ]


def given_line(price: str | None = None, discount: str = "0") -> LineInput:
    return LineInput(
        product_code="MUG",
        description="A mug",
        quantity=Decimal(2),
        unit_price=None if price is None else money(price),
        discount_percent=Decimal(discount),
        tax_rate_percent=Decimal(0),
    )


def handlers(
    prices: PriceBook, threshold: Decimal = THRESHOLD
) -> tuple[QuoteHandlers, FakeUnitOfWork]:
    uow = FakeUnitOfWork()
    quotes = QuoteHandlers(
        lambda: uow,  # type: ignore[arg-type, return-value]
        prices,
        approval_threshold=threshold,
        clock=lambda: NOW,
    )
    return quotes, uow


def create(quotes: QuoteHandlers, *lines: LineInput) -> Quote:
    return quotes.create(
        REP,
        customer_id=CUSTOMER_ID,
        opportunity_id=None,
        currency="EUR",
        valid_until=VALID_UNTIL,
        lines=list(lines),
        campaign_id=None,
        owner_id=None,
    )


def test_lines_without_a_price_are_priced_by_the_price_lists() -> None:
    prices = PriceBook()
    quotes, uow = handlers(prices)

    quote = create(quotes, given_line(), given_line("50.00"))

    assert [ln.unit_price for ln in quote.lines] == [money("36.00"), money("50.00")]
    assert quote.lines[0].price_source is not None
    assert quote.lines[0].price_source.rule == "spring campaign -10 %"
    assert [q.lines for q in prices.asked] == [(("MUG", Decimal(2)),)]
    assert (quote.owner_id, uow.commits) == (REP.subject, 1)


def test_lines_with_their_prices_ask_no_price_list() -> None:
    prices = PriceBook(down=True)
    quotes, _uow = handlers(prices)

    create(quotes, given_line("50.00"))

    assert prices.asked == []


def test_price_lists_away_save_nothing() -> None:
    quotes, uow = handlers(PriceBook(down=True))

    with pytest.raises(PriceListsUnavailable):
        create(quotes, given_line())

    assert (uow.quotes.rows, uow.commits) == ({}, 0)


def test_a_customer_sees_only_quotes_sent_to_them() -> None:
    quotes, _uow = handlers(PriceBook())
    quote = create(quotes, given_line("10.00"))

    with pytest.raises(NotFound):
        quotes.get(CUSTOMER, quote.id)
    assert quotes.list(CUSTOMER, QuoteFilters(), page_size=0, page_token="").items == []
    quotes.send(REP, quote.id, 0)

    assert quotes.get(CUSTOMER, quote.id).state is QuoteState.SENT
    with pytest.raises(NotFound):
        quotes.get(OTHER_CUSTOMER, quote.id)


def test_a_stale_version_changes_nothing() -> None:
    quotes, _uow = handlers(PriceBook())
    quote = create(quotes, given_line("10.00"))

    with pytest.raises(Exception, match="version"):
        quotes.send(REP, quote.id, 7)

    assert quotes.get(REP, quote.id).state is QuoteState.DRAFT


def test_the_threshold_is_the_handlers_setting() -> None:
    strict, _uow = handlers(PriceBook(), Decimal(5))
    quote = create(strict, given_line("10.00", discount="6"))

    with pytest.raises(FailedPrecondition):
        strict.send(REP, quote.id, 0)
    assert strict.request_approval(REP, quote.id, 0).state is QuoteState.PENDING_APPROVAL
