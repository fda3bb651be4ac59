"""The customer service as sales asks it, always with the caller's own token (the chassis
channel forwards it), so a customer can only ask about themselves and staff by their role, and
always with a deadline: the service down is Unavailable (UNAVAILABLE for the caller), never a
record for a customer nobody checked.

- Placing an order or opening an opportunity: GetCustomer for the customer's standing (not
  found is UNKNOWN).
- Redeeming loyalty points for an order: LoyaltyService.RedeemPoints, whose refusals (too few
  points, already redeemed) reach the caller as they are.
- Converting a lead: RecognizeCustomer by the lead's email and phone (a blacklisted one stops
  the conversion; a returning one is linked), else CreateCustomer, whose ALREADY_EXISTS names
  the customer to link instead of a second record.
"""

from __future__ import annotations

from uuid import UUID

import grpc
from crm_platform.errors import FailedPrecondition, Unavailable
from crm_platform.grpc_client import open_channel
from crm_platform.grpc_errors import details_of, domain_error_of
from crm_proto.crm.customer.v1 import customer_pb2, customer_pb2_grpc, loyalty_pb2, loyalty_pb2_grpc

from crm_sales.domain.leads import Contact
from crm_sales.domain.teams import LeadSource
from crm_sales.domain.values import Money
from crm_sales.service_layer.leads import ConvertedCustomer, CustomersUnavailable
from crm_sales.service_layer.ports import CustomerStanding

SERVICE = customer_pb2.DESCRIPTOR.services_by_name["CustomerService"].full_name
DEADLINE = 3.0  # seconds, retries included
_DOWN = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)


class GrpcCustomers:
    def __init__(self, channel: grpc.Channel) -> None:
        self._stub = customer_pb2_grpc.CustomerServiceStub(channel)
        self._loyalty = loyalty_pb2_grpc.LoyaltyServiceStub(channel)

    @classmethod
    def connect(cls, target: str) -> GrpcCustomers:
        idempotent = ((SERVICE, "GetCustomer"), (SERVICE, "RecognizeCustomer"))
        return cls(open_channel(target, idempotent_methods=idempotent))

    def standing(self, customer_id: UUID) -> CustomerStanding:
        try:
            customer = self._stub.GetCustomer(
                customer_pb2.GetCustomerRequest(id=str(customer_id)), timeout=DEADLINE
            )
        except grpc.RpcError as error:
            if error.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.PERMISSION_DENIED):
                return CustomerStanding.UNKNOWN
            if error.code() in _DOWN:
                raise Unavailable("the customer service is unavailable") from error
            raise
        if customer.merged_into_id:
            return CustomerStanding.MERGED
        if customer.blacklisted:
            return CustomerStanding.BLACKLISTED
        return CustomerStanding.ACTIVE

    def redeem_points(self, customer_id: UUID, order_id: UUID, points: int, currency: str) -> Money:
        request = loyalty_pb2.RedeemPointsRequest(
            customer_id=str(customer_id), order_id=str(order_id), points=points,
            currency=currency,
        )  # fmt: skip
        try:
            redemption = self._loyalty.RedeemPoints(request, timeout=DEADLINE)
        except grpc.RpcError as error:
            if error.code() in _DOWN:
                raise Unavailable("the customer service is unavailable") from error
            refusal = domain_error_of(error)
            if refusal is None:
                raise
            raise refusal from error
        return Money.of(redemption.discount.amount, redemption.discount.currency_code)

    def customer_for(self, contact: Contact, source: LeadSource) -> ConvertedCustomer:
        try:
            if contact.email or contact.phone:
                known = self._stub.RecognizeCustomer(
                    customer_pb2.RecognizeCustomerRequest(email=contact.email, phone=contact.phone),
                    timeout=DEADLINE,
                )
                if known.recognition == customer_pb2.RECOGNITION_BLACKLISTED:
                    raise FailedPrecondition("the lead's customer is blacklisted")
                if known.HasField("customer") and known.customer.id:
                    found = known.customer
                    return ConvertedCustomer(UUID(found.merged_into_id or found.id), False)
            created = self._stub.CreateCustomer(
                customer_pb2.CreateCustomerRequest(customer=_customer(contact, source)),
                timeout=DEADLINE,
            )
            return ConvertedCustomer(UUID(created.id), True)
        except grpc.RpcError as error:
            if error.code() in _DOWN:
                raise CustomersUnavailable(str(error.details())) from error
            existing = details_of(error).existing_id
            if error.code() == grpc.StatusCode.ALREADY_EXISTS and existing:
                return ConvertedCustomer(UUID(existing), False)
            raise


def _customer(contact: Contact, source: LeadSource) -> customer_pb2.Customer:
    return customer_pb2.Customer(
        kind=customer_pb2.PARTY_KIND_ORGANIZATION
        if contact.company
        else customer_pb2.PARTY_KIND_PERSON,
        name=contact.company or contact.name,
        email=contact.email,
        phone=contact.phone,
        region=contact.region,
        city=contact.city,
        acquisition_source=customer_pb2.AcquisitionSource.Value(
            f"ACQUISITION_SOURCE_{source.name}"
        ),
    )
