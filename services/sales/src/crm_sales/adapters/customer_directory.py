"""The customer service as order placement asks it: GetCustomer with the caller's own token
(the chassis channel forwards it), so a customer can only ask about themselves and staff by
their role. Not found is UNKNOWN; the service being down is UNAVAILABLE for the caller, never
an order for a customer nobody checked."""

from __future__ import annotations

from uuid import UUID

import grpc
from crm_platform.grpc_client import open_channel
from crm_proto.crm.customer.v1 import customer_pb2, customer_pb2_grpc

from crm_sales.service_layer.ports import CustomerStanding

SERVICE = customer_pb2.DESCRIPTOR.services_by_name["CustomerService"].full_name
DEADLINE = 2.0  # seconds, retries included


class GrpcCustomers:
    def __init__(self, channel: grpc.Channel) -> None:
        self._stub = customer_pb2_grpc.CustomerServiceStub(channel)

    @classmethod
    def connect(cls, target: str) -> GrpcCustomers:
        return cls(open_channel(target, idempotent_methods=((SERVICE, "GetCustomer"),)))

    def standing(self, customer_id: UUID) -> CustomerStanding:
        try:
            customer = self._stub.GetCustomer(
                customer_pb2.GetCustomerRequest(id=str(customer_id)), timeout=DEADLINE
            )
        except grpc.RpcError as error:
            if error.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.PERMISSION_DENIED):
                return CustomerStanding.UNKNOWN
            raise
        if customer.merged_into_id:
            return CustomerStanding.MERGED
        if customer.blacklisted:
            return CustomerStanding.BLACKLISTED
        return CustomerStanding.ACTIVE
