"""gRPC: AnalyticsService, a thin layer from the read model's views to proto messages."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

import grpc
from crm_platform import parsing
from crm_platform.grpc_server import ServiceBinding
from crm_platform.parsing import timestamp
from crm_proto.crm.analytics.v1 import analytics_pb2, analytics_pb2_grpc
from crm_proto.crm.common.v1 import common_pb2

from crm_analytics.adapters.unit_of_work import AnalyticsUnitOfWork
from crm_analytics.domain.orders import REPORTING_CURRENCY, CustomerValue
from crm_analytics.domain.rfm import ChurnRisk, RfmSegment, Score, ValueTier
from crm_analytics.domain.segments import DemographicSegments, SegmentCounts
from crm_analytics.service_layer import views
from crm_analytics.service_layer.rfm import ValueHandlers, ValueSummary

SERVICE = analytics_pb2.DESCRIPTOR.services_by_name["AnalyticsService"].full_name


def utc_now() -> datetime:
    return datetime.now(UTC)


class AnalyticsServicer(analytics_pb2_grpc.AnalyticsServiceServicer):
    def __init__(
        self,
        uow_factory: Callable[[], AnalyticsUnitOfWork],
        value: ValueHandlers,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.uow_factory = uow_factory
        self.value = value
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
        return value_message(*views.customer_value(self.uow_factory, customer_id))

    def GetValueSummary(
        self, request: analytics_pb2.GetValueSummaryRequest, context: grpc.ServicerContext
    ) -> analytics_pb2.ValueSummary:
        return summary_message(self.value.summary())

    def RecomputeCustomerValue(
        self, request: analytics_pb2.RecomputeCustomerValueRequest, context: grpc.ServicerContext
    ) -> analytics_pb2.ValueSummary:
        return summary_message(self.value.recompute())


def _money(cents: int) -> common_pb2.Money:
    return common_pb2.Money(currency_code=REPORTING_CURRENCY, amount=str(Decimal(cents) / 100))


def summary_message(summary: ValueSummary) -> analytics_pb2.ValueSummary:
    bounds = summary.boundaries
    message = analytics_pb2.ValueSummary(
        by_rfm_segment=_counts(summary.by_segment),
        boundaries=analytics_pb2.ValueBoundaries(
            recency_days=bounds.recency_days,
            frequency=bounds.frequency,
            monetary=[str(Decimal(c) / 100) for c in bounds.monetary_cents],
            tiers=[str(Decimal(c) / 100) for c in bounds.tiers_cents],
            customers=bounds.customers,
        ),
        customers_scored=summary.customers_scored,
        membership_changes=summary.membership_changes,
    )
    if summary.model is not None:
        parameters = summary.model.as_dict()
        customers = int(parameters.pop("customers"))
        message.model.CopyFrom(analytics_pb2.ValueModel(parameters=parameters, customers=customers))
    if bounds.measured_at is not None:
        message.measured_at.CopyFrom(timestamp(bounds.measured_at))
    return message


def value_message(value: CustomerValue, score: Score | None) -> analytics_pb2.CustomerValue:
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
    message.rfm_segment = score.segment.value if score else RfmSegment.NO_ORDERS.value
    message.value_tier = score.value_tier.value if score else ValueTier.NONE.value
    message.churn_risk = score.churn_risk.value if score else ChurnRisk.UNKNOWN.value
    message.clv.CopyFrom(_money(score.clv_cents if score else 0))
    if score is None:
        return message
    if score.recency_days is not None:
        message.recency_days = score.recency_days
    message.recency_score, message.frequency_score, message.monetary_score = (
        score.r, score.f, score.m,
    )  # fmt: skip
    if score.predicted_clv_cents is not None:
        message.predicted_clv.CopyFrom(_money(score.predicted_clv_cents))
    if score.p_alive is not None:
        message.probability_alive = score.p_alive
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
