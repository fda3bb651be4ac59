"""An erasure as its proto (crm.customer.v1.Erasure)."""

from __future__ import annotations

from crm_platform.parsing import timestamp
from crm_proto.crm.customer.v1 import erasure_pb2

from crm_customer.adapters.messages import actor_to_proto
from crm_customer.domain.erasure import Erasure


def erasure_to_proto(erasure: Erasure) -> erasure_pb2.Erasure:
    message = erasure_pb2.Erasure(
        erasure_id=str(erasure.id),
        customer_id=str(erasure.customer_id),
        requested_at=timestamp(erasure.requested_at),
        requested_by=actor_to_proto(erasure.requested_by),
        complete=erasure.complete,
    )
    # the awaited services in the registry's order, then any other that confirmed
    services = [*erasure.expected, *sorted(set(erasure.confirmations) - set(erasure.expected))]
    for service in services:
        confirmation = message.confirmations.add(service=service)
        if service in erasure.confirmations:
            confirmation.confirmed_at.CopyFrom(timestamp(erasure.confirmations[service]))
    if erasure.completed_at is not None:
        message.completed_at.CopyFrom(timestamp(erasure.completed_at))
    return message
