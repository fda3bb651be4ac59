"""The customer service as self-registration uses it, over the gateway's gRPC client, with
the portal's own service token on every call (the anonymous visitor has none)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import grpc
from crm_platform import context
from crm_platform.errors import AlreadyExists
from crm_proto.crm.common.v1 import common_pb2
from crm_proto.crm.customer.v1 import customer_pb2

from crm_portal.adapters import mapping
from crm_portal.adapters.backends import CustomerBackend
from crm_portal.service_layer.identity import PORTAL_CLIENT_ID
from crm_portal.service_layer.ports import ProfileFields, RegisteredCustomer


@contextmanager
def acting_as_portal(token: str) -> Iterator[None]:
    principal = context.Principal(
        subject=PORTAL_CLIENT_ID, kind=common_pb2.ACTOR_KIND_SERVICE, token=token
    )
    reset = context.principal.set(principal)
    try:
        yield
    finally:
        context.principal.reset(reset)


class BackendCustomerDirectory:
    def __init__(self, backend: CustomerBackend) -> None:
        self._backend = backend

    def is_blacklisted(self, email: str, phone: str, *, token: str) -> bool:
        # asked apart: one request with both stops at the first contact it recognizes
        with acting_as_portal(token):
            for request in (
                customer_pb2.RecognizeCustomerRequest(email=email),
                customer_pb2.RecognizeCustomerRequest(phone=phone),
            ):
                answer = self._backend.recognize_customer(request)
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
            gender=mapping.GENDERS.to_proto(profile.gender),
            preferences=profile.preferences or {},
            acquisition_source=customer_pb2.ACQUISITION_SOURCE_PORTAL,
        )
        request = customer_pb2.CreateCustomerRequest(
            customer=record, idempotency_key=idempotency_key
        )
        with acting_as_portal(token):
            try:
                customer = self._backend.create_customer(request)
            except grpc.RpcError as exc:
                if exc.code() == grpc.StatusCode.ALREADY_EXISTS:
                    # whose record it is stays unsaid: the visitor is anonymous
                    raise AlreadyExists(
                        "this email or phone belongs to a customer already; sign in, or contact "
                        "us to link it",
                        existing_id="",
                    ) from None
                raise
        return RegisteredCustomer(customer.id, mapping.customer_to_json(customer))
