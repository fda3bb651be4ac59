"""Marketing's price lists as a quote asks them: PricingService.PriceLines with the caller's own
token (the chassis channel forwards it), under a deadline. The service not answering (in time)
is PriceListsUnavailable, never a price nobody gave; without a price list service at all
(`NoPriceLists`) a line must bring its own price."""

from __future__ import annotations

import grpc
from crm_platform.errors import FailedPrecondition, FieldViolation, ValidationFailed
from crm_platform.grpc_client import open_channel
from crm_platform.parsing import timestamp
from crm_proto.crm.marketing.v1 import pricing_pb2, pricing_pb2_grpc

from crm_sales.adapters.messages import money_from_proto
from crm_sales.service_layer.quotes import LinePrice, PriceListsUnavailable, PriceQuery

SERVICE = pricing_pb2.DESCRIPTOR.services_by_name["PricingService"].full_name
DEADLINE = 2.0  # seconds, retries included
# what marketing answers that means "ask again later"
UNAVAILABLE = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED})


class NoPriceLists:
    """No price list service is deployed: every price comes with its line."""

    def price_lines(self, query: PriceQuery) -> list[LinePrice]:
        raise FailedPrecondition("no price list service: give unit_price")


class GrpcPriceLists:
    def __init__(self, channel: grpc.Channel, *, deadline: float = DEADLINE) -> None:
        self._stub = pricing_pb2_grpc.PricingServiceStub(channel)
        self._deadline = deadline

    @classmethod
    def connect(cls, target: str, *, deadline: float = DEADLINE) -> GrpcPriceLists:
        # pricing changes nothing: a call that did not reach the service may be retried
        channel = open_channel(target, idempotent_methods=((SERVICE, "PriceLines"),))
        return cls(channel, deadline=deadline)

    def price_lines(self, query: PriceQuery) -> list[LinePrice]:
        request = pricing_pb2.PriceLinesRequest(
            customer_id=str(query.customer_id),
            currency=query.currency,
            campaign_id="" if query.campaign_id is None else str(query.campaign_id),
            lines=[
                pricing_pb2.LineQuery(product_code=code, quantity=str(quantity))
                for code, quantity in query.lines
            ],
            at=timestamp(query.at),
        )
        try:
            response = self._stub.PriceLines(request, timeout=self._deadline)
        except grpc.RpcError as error:
            code = error.code()
            if code in UNAVAILABLE:
                raise PriceListsUnavailable(
                    f"the price lists did not answer ({code.name}): nothing was saved, retry later"
                ) from None
            if code is grpc.StatusCode.NOT_FOUND:
                raise ValidationFailed(
                    FieldViolation("lines", f"no price for a product: {error.details()}")
                ) from None
            if code is grpc.StatusCode.FAILED_PRECONDITION:
                raise FailedPrecondition(f"the price lists: {error.details()}") from None
            raise
        return [
            LinePrice(
                product_code=line.product_code,
                unit_price=money_from_proto(line.unit_price, "unit_price"),
                list_price=money_from_proto(line.list_price, "list_price"),
                price_list_id=line.price_list_id,
                rule=line.rule_applied.description,
            )
            for line in response.lines
        ]
