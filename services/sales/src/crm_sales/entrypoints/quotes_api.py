"""The quotes' gRPC servicer: request -> handler -> response. The price lists not answering is
UNAVAILABLE for the caller (retry later); nothing was saved."""

from __future__ import annotations

from typing import TypeVar

import grpc
from crm_platform import parsing
from crm_platform.errors import FieldViolation, ValidationFailed
from crm_platform.grpc_server import ServiceBinding
from crm_proto.crm.sales.v1 import quotes_pb2, quotes_pb2_grpc

from crm_sales.adapters.quotes_messages import QUOTE_STATES, lines_from_proto, quote_to_proto
from crm_sales.domain.quotes import Quote
from crm_sales.entrypoints.actors import caller
from crm_sales.service_layer.quotes import QuoteFilters, QuoteHandlers, Step

SERVICE = quotes_pb2.DESCRIPTOR.services_by_name["QuoteService"]
Answer = TypeVar("Answer")


class QuoteServicer(quotes_pb2_grpc.QuoteServiceServicer):
    def __init__(self, quotes: QuoteHandlers) -> None:
        self.quotes = quotes

    def CreateQuote(
        self, request: quotes_pb2.CreateQuoteRequest, context: grpc.ServicerContext
    ) -> quotes_pb2.Quote:
        actor = caller()
        valid_until = parsing.optional_date(request.valid_until, "valid_until")
        if valid_until is None:
            raise ValidationFailed(FieldViolation("valid_until", "is required"))
        quote = self.quotes.create(
            actor,
            customer_id=parsing.uuid(request.customer_id, "customer_id"),
            opportunity_id=parsing.optional_uuid(request.opportunity_id, "opportunity_id"),
            currency=request.currency,
            valid_until=valid_until,
            lines=lines_from_proto(list(request.lines)),
            campaign_id=parsing.optional_uuid(request.campaign_id, "campaign_id"),
            owner_id=request.owner_id.strip() or None,
        )
        return self._answer(quote)

    def GetQuote(
        self, request: quotes_pb2.GetQuoteRequest, context: grpc.ServicerContext
    ) -> quotes_pb2.Quote:
        return self._answer(self.quotes.get(caller(), parsing.uuid(request.id, "id")))

    def ListQuotes(
        self, request: quotes_pb2.ListQuotesRequest, context: grpc.ServicerContext
    ) -> quotes_pb2.ListQuotesResponse:
        filters = QuoteFilters(
            state=QUOTE_STATES.optional(request.state, "state"),
            customer_id=parsing.optional_uuid(request.customer_id, "customer_id"),
            opportunity_id=parsing.optional_uuid(request.opportunity_id, "opportunity_id"),
        )
        page = self.quotes.list(
            caller(),
            filters,
            page_size=request.page.page_size,
            page_token=request.page.page_token,
        )
        response = quotes_pb2.ListQuotesResponse(
            quotes=[self._answer(quote) for quote in page.items]
        )
        response.page.next_page_token = page.next_page_token
        return response

    def SetQuoteLines(
        self, request: quotes_pb2.SetQuoteLinesRequest, context: grpc.ServicerContext
    ) -> quotes_pb2.Quote:
        actor = caller()
        lines = lines_from_proto(list(request.lines))
        campaign_id = parsing.optional_uuid(request.campaign_id, "campaign_id")
        quote = self.quotes.set_lines(
            actor, parsing.uuid(request.id, "id"), request.expected_version, lines, campaign_id
        )
        return self._answer(quote)

    def RequestQuoteApproval(
        self, request: quotes_pb2.QuoteStepRequest, context: grpc.ServicerContext
    ) -> quotes_pb2.Quote:
        quote = self.quotes.request_approval(
            caller(), parsing.uuid(request.id, "id"), request.expected_version
        )
        return self._answer(quote)

    def ApproveQuote(
        self, request: quotes_pb2.QuoteStepRequest, context: grpc.ServicerContext
    ) -> quotes_pb2.Quote:
        return self._take(request, Quote.approve)

    def RejectQuoteDiscount(
        self, request: quotes_pb2.RejectQuoteDiscountRequest, context: grpc.ServicerContext
    ) -> quotes_pb2.Quote:
        return self._take(
            request, lambda quote, actor, now: quote.reject_discount(actor, now, request.reason)
        )

    def SendQuote(
        self, request: quotes_pb2.QuoteStepRequest, context: grpc.ServicerContext
    ) -> quotes_pb2.Quote:
        quote = self.quotes.send(caller(), parsing.uuid(request.id, "id"), request.expected_version)
        return self._answer(quote)

    def AcceptQuote(
        self, request: quotes_pb2.QuoteStepRequest, context: grpc.ServicerContext
    ) -> quotes_pb2.Quote:
        return self._take(request, Quote.accept)

    def RejectQuote(
        self, request: quotes_pb2.RejectQuoteRequest, context: grpc.ServicerContext
    ) -> quotes_pb2.Quote:
        return self._take(
            request, lambda quote, actor, now: quote.reject(actor, now, request.reason)
        )

    def _take(self, request: _StepRequest, step: Step) -> quotes_pb2.Quote:
        quote = self.quotes.take(
            caller(), parsing.uuid(request.id, "id"), request.expected_version, step
        )
        return self._answer(quote)

    def _answer(self, quote: Quote) -> quotes_pb2.Quote:
        return quote_to_proto(
            quote, today=self.quotes.clock().date(), threshold=self.quotes.approval_threshold
        )


_StepRequest = (
    quotes_pb2.QuoteStepRequest
    | quotes_pb2.RejectQuoteDiscountRequest
    | quotes_pb2.RejectQuoteRequest
)


def binding(quotes: QuoteHandlers) -> ServiceBinding:
    return ServiceBinding(
        SERVICE.full_name, QuoteServicer(quotes), quotes_pb2_grpc.add_QuoteServiceServicer_to_server
    )
