"""The performance gRPC servicer (targets and scorecards): request -> handler -> response."""

from __future__ import annotations

from decimal import Decimal

import grpc
from crm_platform.grpc_server import ServiceBinding
from crm_platform.parsing import timestamp
from crm_proto.crm.sales.v1 import performance_pb2, performance_pb2_grpc

from crm_sales.adapters.messages import money_from_proto, money_to_proto
from crm_sales.domain.targets import Period, SalesTarget, Scorecard
from crm_sales.entrypoints.actors import caller
from crm_sales.service_layer.performance import PerformanceHandlers

SERVICE = performance_pb2.DESCRIPTOR.services_by_name["PerformanceService"]


class PerformanceServicer(performance_pb2_grpc.PerformanceServiceServicer):
    def __init__(self, performance: PerformanceHandlers) -> None:
        self.performance = performance

    def SetSalesTarget(
        self, request: performance_pb2.SetSalesTargetRequest, context: grpc.ServicerContext
    ) -> performance_pb2.SalesTarget:
        target = self.performance.set_target(
            caller(),
            request.rep_id.strip(),
            Period.parse(request.period),
            money_from_proto(request.amount, "amount"),
        )
        return _target(target)

    def ListSalesTargets(
        self, request: performance_pb2.ListSalesTargetsRequest, context: grpc.ServicerContext
    ) -> performance_pb2.ListSalesTargetsResponse:
        targets = self.performance.list_targets(
            caller(),
            request.rep_id.strip() or None,
            Period.parse(request.period) if request.period else None,
        )
        return performance_pb2.ListSalesTargetsResponse(targets=[_target(t) for t in targets])

    def GetRepScorecard(
        self, request: performance_pb2.GetRepScorecardRequest, context: grpc.ServicerContext
    ) -> performance_pb2.RepScorecard:
        card = self.performance.scorecard(
            caller(), request.rep_id.strip(), Period.parse(request.period)
        )
        return _scorecard(card)


def _target(target: SalesTarget) -> performance_pb2.SalesTarget:
    return performance_pb2.SalesTarget(
        id=str(target.id),
        rep_id=target.rep_id,
        period=str(target.period),
        amount=money_to_proto(target.amount),
        set_by=target.set_by,
        version=target.version,
        created_at=timestamp(target.created_at),
        updated_at=timestamp(target.updated_at),
    )


def _scorecard(card: Scorecard) -> performance_pb2.RepScorecard:
    message = performance_pb2.RepScorecard(
        rep_id=card.rep_id,
        period=str(card.period),
        starts_on=card.period.starts_on.isoformat(),
        ends_on=card.period.ends_on.isoformat(),
        won_count=card.won_count,
        lost_count=card.lost_count,
        win_rate_percent=_decimal(card.win_rate_percent),
        average_cycle_days=_decimal(card.average_cycle_days),
        activities_done=card.activities_done,
    )
    for amount in card.won:
        row = message.won.add(
            won=money_to_proto(amount.won), attainment_percent=_decimal(amount.attainment_percent)
        )
        if amount.target is not None:
            row.target.CopyFrom(money_to_proto(amount.target))
    return message


def _decimal(value: Decimal | None) -> str:
    return "" if value is None else str(value)


def binding(performance: PerformanceHandlers) -> ServiceBinding:
    return ServiceBinding(
        SERVICE.full_name,
        PerformanceServicer(performance),
        performance_pb2_grpc.add_PerformanceServiceServicer_to_server,
    )
