"""Quotes over real gRPC on PostgreSQL and SQLite: a quote with a deep discount is approved by a
manager before it is sent, the customer accepts it, and every step writes its event with actor
and version. Prices come from a real in-thread PricingService (a double of marketing, which
checks the caller's own token); when it is down, or there is none, nothing is saved."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import pytest
from crm_platform import context
from crm_platform.access import policy_of
from crm_platform.grpc_errors import ErrorDetails, details_of
from crm_platform.grpc_server import ServiceBinding
from crm_platform.testing.grpc_servers import serving
from crm_platform.testing.processes import free_port
from crm_platform.testing.tokens import bearer, customer_token, staff_token
from crm_proto.crm.common.v1 import common_pb2
from crm_proto.crm.marketing.v1 import pricing_pb2, pricing_pb2_grpc
from crm_proto.crm.sales.v1 import events_pb2, quotes_pb2, quotes_pb2_grpc
from crm_sales.adapters.price_lists import GrpcPriceLists, NoPriceLists
from crm_sales.entrypoints import quotes_api
from crm_sales.service_layer.quotes import PriceLists, QuoteHandlers
from sqlalchemy import Engine

from tests.customer.integration.support import outbox_events, row_count
from tests.sales.integration.conftest import unit_of_work
from tests.sales.integration.staffing import team

CUSTOMER_ID = str(uuid.uuid4())
REP = staff_token("sales_rep", subject="rep-1")
MANAGER = staff_token("manager", subject="manager-1")
CUSTOMER = customer_token(CUSTOMER_ID)
OTHER_CUSTOMER = customer_token(str(uuid.uuid4()))
Q = quotes_pb2
VALID_UNTIL = (datetime.now(UTC).date() + timedelta(days=30)).isoformat()


class Marketing(pricing_pb2_grpc.PricingServiceServicer):
    """Every product at its list price of 40.00 less the spring rule's 10 %; remembers who asked."""

    def __init__(self) -> None:
        self.callers: list[str] = []

    def PriceLines(
        self, request: pricing_pb2.PriceLinesRequest, ctx: grpc.ServicerContext
    ) -> pricing_pb2.PriceLinesResponse:
        self.callers.append(context.principal.get().subject)
        return pricing_pb2.PriceLinesResponse(
            lines=[
                pricing_pb2.LinePrice(
                    product_code=line.product_code,
                    unit_price=common_pb2.Money(currency_code=request.currency, amount="36.00"),
                    list_price=common_pb2.Money(currency_code=request.currency, amount="40.00"),
                    rule_applied=pricing_pb2.RuleApplied(id="r-1", description="spring -10 %"),
                    price_list_id="pl-2026",
                )
                for line in request.lines
            ]
        )


PRICING = pricing_pb2.DESCRIPTOR.services_by_name["PricingService"]


@pytest.fixture
def marketing() -> Iterator[tuple[Marketing, str]]:
    servicer = Marketing()
    binding = ServiceBinding(
        PRICING.full_name, servicer, pricing_pb2_grpc.add_PricingServiceServicer_to_server
    )
    with serving([binding], policy_of(PRICING)) as target:
        yield servicer, target


@contextmanager
def quotes_stub(
    engine: Engine,
    price_lists: PriceLists,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Iterator[quotes_pb2_grpc.QuoteServiceStub]:
    """A sales server with the quotes over `engine`, pricing with `price_lists`."""
    handlers = QuoteHandlers(unit_of_work(engine), price_lists, clock=clock)
    with serving([quotes_api.binding(handlers)], policy_of(quotes_api.SERVICE)) as target:
        channel = grpc.insecure_channel(target)
        try:
            grpc.channel_ready_future(channel).result(timeout=10)
            yield quotes_pb2_grpc.QuoteServiceStub(channel)
        finally:
            channel.close()


def call(rpc: Any, token: str, request: Any) -> Any:
    return rpc(request, metadata=bearer(token), timeout=10)


def refused(rpc: Any, token: str, request: Any) -> ErrorDetails:
    with pytest.raises(grpc.RpcError) as error:
        rpc(request, metadata=bearer(token), timeout=10)
    return details_of(error.value)


def a_line(discount: str = "0", price: str | None = "100.00") -> quotes_pb2.QuoteLineInput:
    line = Q.QuoteLineInput(
        product_code="POSTER-A1", description="A1 poster", quantity="3",
        discount_percent=discount, tax_rate_percent="13",
    )  # fmt: skip
    if price is not None:
        line.unit_price.CopyFrom(common_pb2.Money(currency_code="CNY", amount=price))
    return line


def new_quote(*lines: quotes_pb2.QuoteLineInput) -> quotes_pb2.CreateQuoteRequest:
    return Q.CreateQuoteRequest(
        customer_id=CUSTOMER_ID, currency="CNY", valid_until=VALID_UNTIL, lines=list(lines)
    )


@pytest.fixture(autouse=True)
def managed(engine: Engine) -> None:
    team(engine, "manager-1", "rep-1")


def test_a_discounted_quote_is_approved_sent_and_accepted(engine: Engine) -> None:
    with quotes_stub(engine, NoPriceLists()) as stub:
        quote = call(stub.CreateQuote, REP, new_quote(a_line("20"), a_line()))
        assert (quote.state, quote.owner_id, quote.needs_approval) == (
            Q.QUOTE_STATE_DRAFT, "rep-1", True,
        )  # fmt: skip
        # 3 x 100 less 20 % = 240.00, tax 31.20; 300.00, tax 39.00
        assert (quote.subtotal.amount, quote.discount_total.amount) == ("600.00", "60.00")
        assert (quote.tax_total.amount, quote.grand_total.amount) == ("70.20", "610.20")
        step = Q.QuoteStepRequest(id=quote.id)

        unsent = refused(stub.SendQuote, REP, step)
        assert unsent.code == grpc.StatusCode.FAILED_PRECONDITION
        assert "approval" in unsent.message
        assert refused(stub.GetQuote, CUSTOMER, Q.GetQuoteRequest(id=quote.id)).code == (
            grpc.StatusCode.NOT_FOUND
        )
        call(stub.RequestQuoteApproval, REP, step)
        denied = refused(stub.ApproveQuote, REP, step)
        assert denied.code == grpc.StatusCode.PERMISSION_DENIED
        approved = call(stub.ApproveQuote, MANAGER, step)
        assert (approved.state, approved.approved_by) == (Q.QUOTE_STATE_APPROVED, "manager-1")
        stale = refused(stub.SendQuote, REP, Q.QuoteStepRequest(id=quote.id, expected_version=2))
        assert stale.code == grpc.StatusCode.ABORTED
        sent = call(stub.SendQuote, REP, Q.QuoteStepRequest(id=quote.id, expected_version=3))
        assert sent.state == Q.QUOTE_STATE_SENT

        hidden = refused(stub.AcceptQuote, OTHER_CUSTOMER, step)
        assert hidden.code == grpc.StatusCode.NOT_FOUND
        mine = call(stub.ListQuotes, CUSTOMER, Q.ListQuotesRequest())
        assert [q.id for q in mine.quotes] == [quote.id]
        accepted = call(stub.AcceptQuote, CUSTOMER, step)
        assert (accepted.state, accepted.version) == (Q.QUOTE_STATE_ACCEPTED, 5)
        again = refused(stub.RejectQuote, CUSTOMER, Q.RejectQuoteRequest(id=quote.id))
        assert again.code == grpc.StatusCode.FAILED_PRECONDITION

    events = outbox_events(engine)
    kinds = [event.type.rsplit(".", 1)[-1] for event in events]
    assert kinds == ["QuoteCreated", "QuoteApproved", "QuoteSent", "QuoteAccepted"]
    assert [(e.message.version, e.message.actor.subject) for e in events] == [
        (1, "rep-1"), (3, "manager-1"), (4, "rep-1"), (5, f"customer-user-{CUSTOMER_ID}"),
    ]  # fmt: skip
    assert all(e.message.quote_id == quote.id for e in events)
    assert events[-1].message.grand_total.amount == "610.20"
    assert isinstance(events[0].message, events_pb2.QuoteCreated)


def test_a_sent_quote_past_its_date_is_expired_and_cannot_be_accepted(engine: Engine) -> None:
    now = [datetime.now(UTC)]
    with quotes_stub(engine, NoPriceLists(), clock=lambda: now[0]) as stub:
        request = new_quote(a_line())
        request.valid_until = now[0].date().isoformat()  # the last day it may be accepted
        quote = call(stub.CreateQuote, REP, request)
        call(stub.SendQuote, REP, Q.QuoteStepRequest(id=quote.id))
        now[0] += timedelta(days=1)

        read = call(stub.GetQuote, CUSTOMER, Q.GetQuoteRequest(id=quote.id))
        late = refused(stub.AcceptQuote, CUSTOMER, Q.QuoteStepRequest(id=quote.id))

        def listed(state: int) -> list[str]:
            page = call(stub.ListQuotes, REP, Q.ListQuotesRequest(state=state))
            return [q.id for q in page.quotes]

        assert (listed(Q.QUOTE_STATE_EXPIRED), listed(Q.QUOTE_STATE_SENT)) == ([quote.id], [])

    assert read.state == Q.QUOTE_STATE_EXPIRED
    assert late.code == grpc.StatusCode.FAILED_PRECONDITION
    assert "expired" in late.message


def test_a_refused_discount_and_a_declined_quote(engine: Engine) -> None:
    with quotes_stub(engine, NoPriceLists()) as stub:
        quote = call(stub.CreateQuote, REP, new_quote(a_line("40")))
        step = Q.QuoteStepRequest(id=quote.id)
        call(stub.RequestQuoteApproval, REP, step)
        reason = Q.RejectQuoteDiscountRequest(id=quote.id, reason="Too deep for a first order")
        refused_discount = call(stub.RejectQuoteDiscount, MANAGER, reason)
        assert (refused_discount.state, refused_discount.discount_rejection) == (
            Q.QUOTE_STATE_DRAFT, "Too deep for a first order",
        )  # fmt: skip
        call(stub.SetQuoteLines, REP, Q.SetQuoteLinesRequest(id=quote.id, lines=[a_line("10")]))
        call(stub.SendQuote, REP, step)
        declined = call(
            stub.RejectQuote, CUSTOMER, Q.RejectQuoteRequest(id=quote.id, reason="Over budget")
        )

    assert (declined.state, declined.customer_reason) == (Q.QUOTE_STATE_REJECTED, "Over budget")
    events = outbox_events(engine)
    assert [e.type.rsplit(".", 1)[-1] for e in events] == [
        "QuoteCreated", "QuoteSent", "QuoteRejected",
    ]  # fmt: skip
    assert events[-1].message.reason == "Over budget"
    # 3 x 100 less 10 % = 270.00, tax 13 % = 35.10
    assert events[-1].message.grand_total.amount == "305.10"


def test_changing_the_lines_drops_the_approval(engine: Engine) -> None:
    with quotes_stub(engine, NoPriceLists()) as stub:
        quote = call(stub.CreateQuote, REP, new_quote(a_line("30")))
        step = Q.QuoteStepRequest(id=quote.id)
        call(stub.RequestQuoteApproval, REP, step)
        call(stub.ApproveQuote, MANAGER, step)

        changed = call(
            stub.SetQuoteLines, REP, Q.SetQuoteLinesRequest(id=quote.id, lines=[a_line("35")])
        )

        assert (changed.state, changed.approved_by) == (Q.QUOTE_STATE_DRAFT, "")
        assert refused(stub.SendQuote, REP, step).code == grpc.StatusCode.FAILED_PRECONDITION


def test_without_a_price_list_service_a_line_without_price_is_refused_and_nothing_saved(
    engine: Engine,
) -> None:
    with quotes_stub(engine, NoPriceLists()) as stub:
        error = refused(stub.CreateQuote, REP, new_quote(a_line(price=None)))

    assert error.code == grpc.StatusCode.FAILED_PRECONDITION
    assert error.message == "no price list service: give unit_price"
    assert row_count(engine, "quotes") == 0
    assert outbox_events(engine) == []


def test_lines_without_a_price_are_priced_by_marketing_with_the_callers_token(
    engine: Engine, marketing: tuple[Marketing, str]
) -> None:
    servicer, target = marketing
    with quotes_stub(engine, GrpcPriceLists.connect(target)) as stub:
        quote = call(stub.CreateQuote, REP, new_quote(a_line(price=None), a_line()))

    priced, given = quote.lines
    assert (priced.unit_price.amount, priced.price_list_id, priced.price_rule) == (
        "36.00", "pl-2026", "spring -10 %",
    )  # fmt: skip
    assert (given.unit_price.amount, given.price_list_id) == ("100.00", "")
    assert servicer.callers == ["rep-1"]  # asked as the rep, not as the sales service


def test_marketing_down_is_unavailable_and_nothing_is_saved(engine: Engine) -> None:
    nobody_listens = f"127.0.0.1:{free_port()}"
    with quotes_stub(engine, GrpcPriceLists.connect(nobody_listens)) as stub:
        error = refused(stub.CreateQuote, REP, new_quote(a_line(price=None)))

    assert error.code == grpc.StatusCode.UNAVAILABLE
    assert "nothing was saved" in error.message
    assert row_count(engine, "quotes") == 0
    assert outbox_events(engine) == []


class SlowMarketing(pricing_pb2_grpc.PricingServiceServicer):
    """Answers nothing until released: a price list service that misses the deadline."""

    def __init__(self) -> None:
        self.released = threading.Event()

    def PriceLines(
        self, request: pricing_pb2.PriceLinesRequest, ctx: grpc.ServicerContext
    ) -> pricing_pb2.PriceLinesResponse:
        self.released.wait(timeout=10)
        return pricing_pb2.PriceLinesResponse()


def test_marketing_past_the_deadline_is_unavailable_and_nothing_is_saved(engine: Engine) -> None:
    slow = SlowMarketing()
    binding = ServiceBinding(
        PRICING.full_name, slow, pricing_pb2_grpc.add_PricingServiceServicer_to_server
    )
    with serving([binding], policy_of(PRICING)) as target:
        try:
            price_lists = GrpcPriceLists.connect(target, deadline=0.3)
            with quotes_stub(engine, price_lists) as stub:
                error = refused(stub.CreateQuote, REP, new_quote(a_line(price=None)))
        finally:
            slow.released.set()

    assert error.code == grpc.StatusCode.UNAVAILABLE
    assert "DEADLINE_EXCEEDED" in error.message
    assert row_count(engine, "quotes") == 0


def test_a_bad_line_without_a_price_is_refused_before_any_price_is_asked(
    engine: Engine, marketing: tuple[Marketing, str]
) -> None:
    servicer, target = marketing
    bad = a_line(price=None)
    bad.quantity = "0"
    with quotes_stub(engine, GrpcPriceLists.connect(target)) as stub:
        error = refused(stub.CreateQuote, REP, new_quote(bad))

    assert error.code == grpc.StatusCode.INVALID_ARGUMENT
    assert [v.field for v in error.violations] == ["lines[0].quantity"]
    assert servicer.callers == []


def test_a_bad_line_names_its_field(engine: Engine) -> None:
    with quotes_stub(engine, NoPriceLists()) as stub:
        error = refused(stub.CreateQuote, REP, new_quote(a_line(), a_line("100.5")))

    assert error.code == grpc.StatusCode.INVALID_ARGUMENT
    assert [v.field for v in error.violations] == ["lines[1].discount_percent"]
