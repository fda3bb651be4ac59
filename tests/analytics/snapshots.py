"""Customer records as the customer service puts them in its events."""

from __future__ import annotations

from datetime import UTC, datetime

from crm_proto.crm.customer.v1 import customer_pb2
from google.protobuf.timestamp_pb2 import Timestamp

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def customer(customer_id: str, version: int, **fields: object) -> customer_pb2.Customer:
    """A customer registered at T0; `fields` override the defaults."""
    created_at = Timestamp()
    created_at.FromDatetime(T0)
    message = customer_pb2.Customer(
        id=customer_id,
        name="Customer",
        region="North",
        gender=customer_pb2.GENDER_FEMALE,
        birth_date="1990-04-01",
        acquisition_source=customer_pb2.ACQUISITION_SOURCE_WEB,
        version=version,
        created_at=created_at,
    )
    for name, value in fields.items():
        if isinstance(value, list):  # repeated fields are filled, not assigned
            getattr(message, name).extend(value)
        else:
            setattr(message, name, value)
    return message
