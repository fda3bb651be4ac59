"""The customer service as self-registration uses it: a gRPC client with a deadline, and
identity's own service token on every call (the anonymous visitor has none)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import grpc
from crm_platform import context
from crm_platform.errors import AlreadyExists
from crm_platform.grpc_client import open_channel
from crm_proto.crm.common.v1 import common_pb2
from crm_proto.crm.customer.v1 import customer_pb2, customer_pb2_grpc

from crm_identity.service_layer.handlers import REGISTRATION_CLIENT_ID
from crm_identity.service_layer.ports import ProfileFields, RegisteredCustomer

SERVICE = customer_pb2.DESCRIPTOR.services_by_name["CustomerService"].full_name
# RecognizeCustomer reads only; CreateCustomer carries an idempotency key, so a retry after
# UNAVAILABLE finds the record the first attempt made
IDEMPOTENT = ((SERVICE, "RecognizeCustomer"), (SERVICE, "CreateCustomer"))


@contextmanager
def acting_as_registration(token: str) -> Iterator[None]:
    principal = context.Principal(
        subject=REGISTRATION_CLIENT_ID, kind=common_pb2.ACTOR_KIND_SERVICE, token=token
    )
    reset = context.principal.set(principal)
    try:
        yield
    finally:
        context.principal.reset(reset)


def gender_to_proto(gender: str | None) -> customer_pb2.Gender.ValueType:
    if not gender:
        return customer_pb2.GENDER_UNSPECIFIED
    return customer_pb2.Gender.Value("GENDER_" + gender.upper())


class GrpcCustomerDirectory:
    def __init__(self, channel: grpc.Channel) -> None:
        self._stub = customer_pb2_grpc.CustomerServiceStub(channel)

    @classmethod
    def connect(cls, target: str) -> GrpcCustomerDirectory:
        return cls(open_channel(target, idempotent_methods=IDEMPOTENT))

    def is_blacklisted(self, email: str, phone: str, *, token: str) -> bool:
        # asked apart: one request with both stops at the first contact it recognizes
        with acting_as_registration(token):
            for request in (
                customer_pb2.RecognizeCustomerRequest(email=email),
                customer_pb2.RecognizeCustomerRequest(phone=phone),
            ):
                answer = self._stub.RecognizeCustomer(request)
                if answer.recognition == customer_pb2.RECOGNITION_BLACKLISTED:
                    return True
        return False

    def create(
        self, profile: ProfileFields, *, idempotency_key: str, token: str
    ) -> RegisteredCustomer:
        record = customer_pb2.Customer(
            kind=customer_pb2.PARTY_KIND_PERSON,
            name=profile.name,
            email=profile.email,
            phone=profile.phone,
            region=profile.region or "",
            city=profile.city or "",
            birth_date=profile.birth_date or "",
            gender=gender_to_proto(profile.gender),
            preferences=profile.preferences or {},
            acquisition_source=customer_pb2.ACQUISITION_SOURCE_PORTAL,
        )
        request = customer_pb2.CreateCustomerRequest(
            customer=record, idempotency_key=idempotency_key
        )
        with acting_as_registration(token):
            try:
                customer = self._stub.CreateCustomer(request)
            except grpc.RpcError as exc:
                if exc.code() == grpc.StatusCode.ALREADY_EXISTS:
                    # whose record it is stays unsaid: the visitor is anonymous
                    raise AlreadyExists(
                        "this email or phone belongs to a customer already; sign in, or contact "
                        "us to link it",
                        existing_id="",
                    ) from None
                raise
        return RegisteredCustomer(customer.id, customer)
