"""The catalog's gRPC servicer: request -> handler -> response."""

from __future__ import annotations

import grpc
from crm_platform import parsing
from crm_platform.grpc_server import ServiceBinding
from crm_proto.crm.marketing.v1 import catalog_pb2, catalog_pb2_grpc

from crm_marketing.adapters.messages import (
    price_list_input,
    price_list_to_proto,
    product_input,
    product_to_proto,
)
from crm_marketing.entrypoints.actors import caller
from crm_marketing.service_layer.catalog import CatalogHandlers

SERVICE = catalog_pb2.DESCRIPTOR.services_by_name["CatalogService"]
C = catalog_pb2


class CatalogServicer(catalog_pb2_grpc.CatalogServiceServicer):
    def __init__(self, catalog: CatalogHandlers) -> None:
        self.catalog = catalog

    def CreateProduct(
        self, request: C.CreateProductRequest, context: grpc.ServicerContext
    ) -> C.Product:
        product = self.catalog.create_product(
            caller(), request.code, product_input(request.product)
        )
        return product_to_proto(product)

    def GetProduct(self, request: C.GetProductRequest, context: grpc.ServicerContext) -> C.Product:
        return product_to_proto(self.catalog.get_product(parsing.uuid(request.id, "id")))

    def ListProducts(
        self, request: C.ListProductsRequest, context: grpc.ServicerContext
    ) -> C.ListProductsResponse:
        page = self.catalog.list_products(
            page_size=request.page.page_size,
            page_token=request.page.page_token,
            active_only=request.active_only,
        )
        response = C.ListProductsResponse(products=[product_to_proto(p) for p in page.items])
        response.page.next_page_token = page.next_page_token
        return response

    def UpdateProduct(
        self, request: C.UpdateProductRequest, context: grpc.ServicerContext
    ) -> C.Product:
        product = self.catalog.update_product(
            caller(),
            parsing.uuid(request.id, "id"),
            product_input(request.product),
            request.expected_version,
        )
        return product_to_proto(product)

    def CreatePriceList(
        self, request: C.CreatePriceListRequest, context: grpc.ServicerContext
    ) -> C.PriceList:
        created = self.catalog.create_price_list(
            caller(), request.currency, price_list_input(request.price_list)
        )
        return price_list_to_proto(created)

    def GetPriceList(
        self, request: C.GetPriceListRequest, context: grpc.ServicerContext
    ) -> C.PriceList:
        return price_list_to_proto(self.catalog.get_price_list(parsing.uuid(request.id, "id")))

    def ListPriceLists(
        self, request: C.ListPriceListsRequest, context: grpc.ServicerContext
    ) -> C.ListPriceListsResponse:
        page = self.catalog.list_price_lists(
            request.currency or None,
            page_size=request.page.page_size,
            page_token=request.page.page_token,
        )
        response = C.ListPriceListsResponse(
            price_lists=[price_list_to_proto(p) for p in page.items]
        )
        response.page.next_page_token = page.next_page_token
        return response

    def UpdatePriceList(
        self, request: C.UpdatePriceListRequest, context: grpc.ServicerContext
    ) -> C.PriceList:
        updated = self.catalog.update_price_list(
            caller(),
            parsing.uuid(request.id, "id"),
            price_list_input(request.price_list),
            request.expected_version,
        )
        return price_list_to_proto(updated)

    def SetCustomerTier(
        self, request: C.SetCustomerTierRequest, context: grpc.ServicerContext
    ) -> C.CustomerTier:
        customer_id = parsing.uuid(request.customer_id, "customer_id")
        tier = self.catalog.set_customer_tier(caller(), customer_id, request.tier)
        return C.CustomerTier(customer_id=str(customer_id), tier=tier or "")


def binding(catalog: CatalogHandlers) -> ServiceBinding:
    return ServiceBinding(
        SERVICE.full_name,
        CatalogServicer(catalog),
        catalog_pb2_grpc.add_CatalogServiceServicer_to_server,
    )
