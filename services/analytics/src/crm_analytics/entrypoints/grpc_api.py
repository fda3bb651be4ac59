"""gRPC: AnalyticsService, a thin layer from the read model's views to proto messages."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import grpc
from crm_platform import parsing
from crm_platform.grpc_server import ServiceBinding
from crm_platform.parsing import timestamp
from crm_proto.crm.analytics.v1 import analytics_pb2, analytics_pb2_grpc
from crm_proto.crm.common.v1 import common_pb2

from crm_analytics.adapters.unit_of_work import AnalyticsUnitOfWork
from crm_analytics.domain.orders import CustomerValue
from crm_analytics.domain.segments import DemographicSegments, SegmentCounts
from crm_analytics.service_layer import views

SERVICE = analytics_pb2.DESCRIPTOR.services_by_name["AnalyticsService"].full_name


def utc_now() -> datetime:
    return datetime.now(UTC)


class AnalyticsServicer(analytics_pb2_grpc.AnalyticsServiceServicer):
    def __init__(
        self,
        uow_factory: Callable[[], AnalyticsUnitOfWork],
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.uow_factory = uow_factory
        self.clock = clock

    def GetDemographicSegments(
        self, request: analytics_pb2.GetDemographicSegmentsRequest, context: grpc.ServicerContext
    ) -> analytics_pb2.DemographicSegments:
        today = self.clock().astimezone(UTC).date()
        return segments_message(views.demographic_segments(self.uow_factory, today))

    def GetCustomerValue(
        self, request: analytics_pb2.GetCustomerValueRequest, context: grpc.ServicerContext
    ) -> analytics_pb2.CustomerValue:
        customer_id = str(parsing.uuid(request.customer_id, "customer_id"))
        return value_message(views.customer_value(self.uow_factory, customer_id))


def value_message(value: CustomerValue) -> analytics_pb2.CustomerValue:
    message = analytics_pb2.CustomerValue(
        customer_id=value.customer_id,
        orders=value.orders,
        paid=[common_pb2.Money(currency_code=m.currency, amount=str(m.amount)) for m in value.paid],
        interactions=value.interactions,
    )
    for field, moment in (
        ("first_order_at", value.first_order_at),
        ("last_order_at", value.last_order_at),
        ("last_interaction_at", value.last_interaction_at),
    ):
        if moment is not None:
            getattr(message, field).CopyFrom(timestamp(moment))
    return message


def segments_message(segments: DemographicSegments) -> analytics_pb2.DemographicSegments:
    message = analytics_pb2.DemographicSegments(
        total_customers=segments.total_customers,
        by_region=_counts(segments.by_region),
        by_gender=_counts(segments.by_gender),
        by_age_band=_counts(segments.by_age_band),
        by_source=_counts(segments.by_source),
        blacklisted_customers=segments.blacklisted_customers,
        merged_customers=segments.merged_customers,
    )
    if segments.as_of is not None:
        message.as_of.CopyFrom(timestamp(segments.as_of))
    return message


def _counts(counts: SegmentCounts) -> list[analytics_pb2.SegmentCount]:
    return [analytics_pb2.SegmentCount(key=key, count=count) for key, count in counts]


def binding(servicer: AnalyticsServicer) -> ServiceBinding:
    return ServiceBinding(
        name=SERVICE,
        servicer=servicer,
        add_to_server=analytics_pb2_grpc.add_AnalyticsServiceServicer_to_server,
    )
