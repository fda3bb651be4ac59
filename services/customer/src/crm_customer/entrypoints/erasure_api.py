"""The gRPC servicers of erasure: ErasureService (erase, and which services confirmed) and
this service's PersonalData section of a customer's export (crm_platform.privacy)."""

from __future__ import annotations

import grpc
from crm_platform import parsing, privacy
from crm_platform.grpc_server import ServiceBinding
from crm_proto.crm.customer.v1 import erasure_pb2, erasure_pb2_grpc

from crm_customer.adapters.erasure_messages import erasure_to_proto
from crm_customer.config import SERVICE_NAME
from crm_customer.entrypoints.grpc_api import caller
from crm_customer.service_layer.erasure import ErasureHandlers

SERVICE = erasure_pb2.DESCRIPTOR.services_by_name["ErasureService"]


class ErasureServicer(erasure_pb2_grpc.ErasureServiceServicer):
    def __init__(self, handlers: ErasureHandlers) -> None:
        self.handlers = handlers

    def EraseCustomer(
        self, request: erasure_pb2.EraseCustomerRequest, context: grpc.ServicerContext
    ) -> erasure_pb2.Erasure:
        customer_id = parsing.uuid(request.customer_id, "customer_id")
        return erasure_to_proto(self.handlers.erase(customer_id, caller()))

    def GetErasure(
        self, request: erasure_pb2.GetErasureRequest, context: grpc.ServicerContext
    ) -> erasure_pb2.Erasure:
        customer_id = parsing.uuid(request.customer_id, "customer_id")
        return erasure_to_proto(self.handlers.get(customer_id))


def bindings(handlers: ErasureHandlers) -> list[ServiceBinding]:
    return [
        ServiceBinding(
            SERVICE.full_name,
            ErasureServicer(handlers),
            erasure_pb2_grpc.add_ErasureServiceServicer_to_server,
        ),
        privacy.binding_reading(SERVICE_NAME, handlers.personal_data),
    ]
