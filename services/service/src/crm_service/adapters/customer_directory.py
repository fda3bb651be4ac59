"""The customer service as the service asks it: RecognizeCustomer by a contact's email, then
phone, always with the caller's own token (the chassis channel forwards it) and a deadline, so
the customer service down is `Unavailable` (UNAVAILABLE for the caller), never a case for a
contact nobody recognized. A contact it cannot read is the caller's INVALID_ARGUMENT, naming
the field."""

from __future__ import annotations

from uuid import UUID

import grpc
from crm_platform.errors import FieldViolation, Unavailable, ValidationFailed
from crm_platform.grpc_client import open_channel
from crm_proto.crm.customer.v1 import customer_pb2, customer_pb2_grpc

from crm_service.domain.cases import Contact, CustomerRecognition, Recognized

SERVICE = customer_pb2.DESCRIPTOR.services_by_name["CustomerService"].full_name
DEADLINE = 3.0  # seconds, retries included
_DOWN = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)
_RECOGNITIONS = {
    customer_pb2.RECOGNITION_RETURNING: CustomerRecognition.RETURNING,
    customer_pb2.RECOGNITION_BLACKLISTED: CustomerRecognition.BLACKLISTED,
}


class GrpcCustomers:
    def __init__(self, channel: grpc.Channel) -> None:
        self._stub = customer_pb2_grpc.CustomerServiceStub(channel)

    @classmethod
    def connect(cls, target: str) -> GrpcCustomers:
        return cls(open_channel(target, idempotent_methods=((SERVICE, "RecognizeCustomer"),)))

    def recognize(self, contact: Contact) -> Recognized:
        # asked apart: one request with both stops at the first contact it recognizes
        requests = [
            ("contact_email", customer_pb2.RecognizeCustomerRequest(email=contact.email))
            if contact.email else None,
            ("contact_phone", customer_pb2.RecognizeCustomerRequest(phone=contact.phone))
            if contact.phone else None,
        ]  # fmt: skip
        for asked in requests:
            if asked is None:
                continue
            field, request = asked
            try:
                answer = self._stub.RecognizeCustomer(request, timeout=DEADLINE)
            except grpc.RpcError as error:
                if error.code() in _DOWN:
                    raise Unavailable("the customer service is unavailable") from error
                if error.code() == grpc.StatusCode.INVALID_ARGUMENT:
                    # a contact the customer service cannot read (no such phone number)
                    raise ValidationFailed(FieldViolation(field, str(error.details()))) from error
                raise
            recognition = _RECOGNITIONS.get(answer.recognition)
            if recognition is not None and answer.customer.id:
                found = answer.customer
                return Recognized(recognition, UUID(found.merged_into_id or found.id))
        return Recognized(CustomerRecognition.NEW, None)
