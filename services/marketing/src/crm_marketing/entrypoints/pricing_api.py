"""PricingService: the price of each line of a quote, as the sales service asks it."""

from __future__ import annotations

import grpc
from crm_platform import parsing
from crm_platform.grpc_server import ServiceBinding
from crm_proto.crm.marketing.v1 import pricing_pb2, pricing_pb2_grpc

from crm_marketing.adapters.messages import line_price_to_proto
from crm_marketing.domain.values import required_decimal
from crm_marketing.service_layer.catalog import CatalogHandlers, PriceQuery

SERVICE = pricing_pb2.DESCRIPTOR.services_by_name["PricingService"]


class PricingServicer(pricing_pb2_grpc.PricingServiceServicer):
    def __init__(self, catalog: CatalogHandlers) -> None:
        self.catalog = catalog

    def PriceLines(
        self, request: pricing_pb2.PriceLinesRequest, context: grpc.ServicerContext
    ) -> pricing_pb2.PriceLinesResponse:
        lines = []
        for index, line in enumerate(request.lines):
            quantity = required_decimal(line.quantity, f"lines[{index}].quantity")
            lines.append((line.product_code.strip(), quantity))
        priced = self.catalog.price_lines(
            PriceQuery(
                customer_id=parsing.uuid(request.customer_id, "customer_id"),
                currency=request.currency,
                campaign_id=parsing.optional_uuid(request.campaign_id, "campaign_id"),
                lines=lines,
                at=parsing.optional_time(request, "at"),
            )
        )
        return pricing_pb2.PriceLinesResponse(lines=[line_price_to_proto(p) for p in priced])


def binding(catalog: CatalogHandlers) -> ServiceBinding:
    return ServiceBinding(
        SERVICE.full_name,
        PricingServicer(catalog),
        pricing_pb2_grpc.add_PricingServiceServicer_to_server,
    )
