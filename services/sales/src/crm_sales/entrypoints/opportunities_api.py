"""The OpportunityService servicer: request -> handler -> response."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import grpc
from crm_platform import parsing
from crm_platform.grpc_server import ServiceBinding
from crm_proto.crm.sales.v1 import opportunities_pb2, opportunities_pb2_grpc

from crm_sales.adapters.messages import money_from_proto
from crm_sales.adapters.opportunities_messages import (
    LOST_REASONS,
    STAGES,
    STATUSES,
    board_to_proto,
    competitors_from_proto,
    contacts_from_proto,
    opportunity_to_proto,
    weighted_to_proto,
)
from crm_sales.domain.opportunities import Opportunity, PipelineStages
from crm_sales.domain.values import Actor
from crm_sales.entrypoints.actors import caller
from crm_sales.service_layer.opportunities import Change, Details, OpportunityHandlers

SERVICE = opportunities_pb2.DESCRIPTOR.services_by_name["OpportunityService"]
UPDATABLE = ("title", "amount", "expected_close", "contacts", "competitors", "probability")
Pb = opportunities_pb2


class OpportunityServicer(opportunities_pb2_grpc.OpportunityServiceServicer):
    def __init__(self, opportunities: OpportunityHandlers) -> None:
        self.opportunities = opportunities

    def CreateOpportunity(
        self, request: Pb.CreateOpportunityRequest, context: grpc.ServicerContext
    ) -> Pb.Opportunity:
        opportunity = self.opportunities.create(
            caller(),
            customer_id=parsing.uuid(request.customer_id, "customer_id"),
            title=request.title,
            owner_id=request.owner_id.strip() or None,
            team_id=parsing.optional_uuid(request.team_id, "team_id"),
            amount=money_from_proto(request.amount, "amount")
            if request.HasField("amount")
            else None,
            expected_close=parsing.optional_date(request.expected_close, "expected_close"),
            source=request.source,
            region=request.region,
            tags=frozenset(request.tags),
            contacts=contacts_from_proto(list(request.contacts)),
            competitors=competitors_from_proto(list(request.competitors)),
        )
        return opportunity_to_proto(opportunity)

    def GetOpportunity(
        self, request: Pb.GetOpportunityRequest, context: grpc.ServicerContext
    ) -> Pb.Opportunity:
        return opportunity_to_proto(
            self.opportunities.get(caller(), parsing.uuid(request.id, "id"))
        )

    def ListOpportunities(
        self, request: Pb.ListOpportunitiesRequest, context: grpc.ServicerContext
    ) -> Pb.ListOpportunitiesResponse:
        page = self.opportunities.list(
            caller(),
            stage=STAGES.optional(request.stage, "stage"),
            status=STATUSES.optional(request.status, "status"),
            owner_id=request.owner_id.strip() or None,
            team_id=parsing.optional_uuid(request.team_id, "team_id"),
            customer_id=parsing.optional_uuid(request.customer_id, "customer_id"),
            page_size=request.page.page_size,
            page_token=request.page.page_token,
        )
        response = Pb.ListOpportunitiesResponse(
            opportunities=[opportunity_to_proto(o) for o in page.items]
        )
        response.page.next_page_token = page.next_page_token
        return response

    def UpdateOpportunity(
        self, request: Pb.UpdateOpportunityRequest, context: grpc.ServicerContext
    ) -> Pb.Opportunity:
        paths = parsing.field_mask(request.update_mask.paths, UPDATABLE)
        details = Details(
            title=request.title if "title" in paths else None,
            amount=money_from_proto(request.amount, "amount") if "amount" in paths else None,
            expected_close=parsing.optional_date(request.expected_close, "expected_close")
            if "expected_close" in paths
            else None,
            contacts=contacts_from_proto(list(request.contacts)) if "contacts" in paths else None,
            competitors=competitors_from_proto(list(request.competitors))
            if "competitors" in paths
            else None,
            probability=Decimal(request.probability or "-1") if "probability" in paths else None,
        )
        opportunity = self.opportunities.update(
            caller(), parsing.uuid(request.id, "id"), request.expected_version, details
        )
        return opportunity_to_proto(opportunity)

    def MoveOpportunityStage(
        self, request: Pb.MoveOpportunityStageRequest, context: grpc.ServicerContext
    ) -> Pb.Opportunity:
        stage = STAGES.required(request.stage, "stage")

        def move(o: Opportunity, actor: Actor, now: datetime, stages: PipelineStages) -> None:
            o.move_stage(actor, now, stage, stages)

        return self._change(request, move)

    def WinOpportunity(
        self, request: Pb.WinOpportunityRequest, context: grpc.ServicerContext
    ) -> Pb.Opportunity:
        return self._change(request, lambda o, actor, now, stages: o.win(actor, now))

    def LoseOpportunity(
        self, request: Pb.LoseOpportunityRequest, context: grpc.ServicerContext
    ) -> Pb.Opportunity:
        reason = LOST_REASONS.required(request.reason, "reason")
        return self._change(
            request,
            lambda o, actor, now, stages: o.lose(
                actor, now, reason, request.note, request.competitor
            ),
        )

    def RestoreOpportunity(
        self, request: Pb.RestoreOpportunityRequest, context: grpc.ServicerContext
    ) -> Pb.Opportunity:
        return self._change(request, lambda o, actor, now, stages: o.restore(actor, now, stages))

    def AssignOpportunity(
        self, request: Pb.AssignOpportunityRequest, context: grpc.ServicerContext
    ) -> Pb.Opportunity:
        opportunity = self.opportunities.assign(
            caller(),
            parsing.uuid(request.id, "id"),
            request.expected_version,
            owner_id=request.owner_id.strip() or None,
            partner_id=parsing.optional_uuid(request.partner_id, "partner_id"),
        )
        return opportunity_to_proto(opportunity)

    def GetPipelineBoard(
        self, request: Pb.GetPipelineBoardRequest, context: grpc.ServicerContext
    ) -> Pb.PipelineBoard:
        columns = self.opportunities.board(
            caller(),
            team_id=parsing.optional_uuid(request.team_id, "team_id"),
            owner_id=request.owner_id.strip() or None,
            cards_per_stage=request.cards_per_stage,
        )
        return board_to_proto(columns)

    def GetWeightedPipeline(
        self, request: Pb.GetWeightedPipelineRequest, context: grpc.ServicerContext
    ) -> Pb.WeightedPipeline:
        pipeline = self.opportunities.weighted(
            caller(),
            team_id=parsing.optional_uuid(request.team_id, "team_id"),
            owner_id=request.owner_id.strip() or None,
            close_from=parsing.optional_date(request.close_from, "close_from"),
            close_to=parsing.optional_date(request.close_to, "close_to"),
        )
        return weighted_to_proto(pipeline)

    def _change(self, request: _ChangeRequest, change: Change) -> Pb.Opportunity:
        opportunity = self.opportunities.change(
            caller(), parsing.uuid(request.id, "id"), request.expected_version, change
        )
        return opportunity_to_proto(opportunity)


_ChangeRequest = (
    Pb.MoveOpportunityStageRequest
    | Pb.WinOpportunityRequest
    | Pb.LoseOpportunityRequest
    | Pb.RestoreOpportunityRequest
)


def binding(opportunities: OpportunityHandlers) -> ServiceBinding:
    return ServiceBinding(
        SERVICE.full_name,
        OpportunityServicer(opportunities),
        opportunities_pb2_grpc.add_OpportunityServiceServicer_to_server,
    )
