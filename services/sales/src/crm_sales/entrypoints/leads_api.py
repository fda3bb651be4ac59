"""The LeadService servicer: request -> handler -> response (leads.proto)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation

import grpc
from crm_platform import parsing
from crm_platform.errors import FieldViolation, ValidationFailed
from crm_platform.grpc_server import ServiceBinding
from crm_proto.crm.sales.v1 import leads_pb2, leads_pb2_grpc

from crm_sales.adapters.leads_messages import (
    LEAD_SOURCES,
    LEAD_STATUSES,
    contact_from_proto,
    lead_to_proto,
)
from crm_sales.adapters.messages import money_from_proto
from crm_sales.domain.leads import Lead
from crm_sales.domain.values import Actor
from crm_sales.entrypoints.actors import caller
from crm_sales.service_layer.leads import LeadHandlers, LeadStep

SERVICE = leads_pb2.DESCRIPTOR.services_by_name["LeadService"]
UPDATABLE = ("contact", "notes", "tags")


class LeadServicer(leads_pb2_grpc.LeadServiceServicer):
    def __init__(self, leads: LeadHandlers) -> None:
        self.leads = leads

    def CreateLead(
        self, request: leads_pb2.CreateLeadRequest, context: grpc.ServicerContext
    ) -> leads_pb2.Lead:
        lead = self.leads.create(
            caller(),
            source=LEAD_SOURCES.required(request.source, "source"),
            campaign_id=request.campaign_id,
            contact=contact_from_proto(request.contact, "contact"),
            notes=request.notes,
            tags=request.tags,
            owner_id=request.owner_id.strip() or None,
        )
        return lead_to_proto(lead)

    def GetLead(
        self, request: leads_pb2.GetLeadRequest, context: grpc.ServicerContext
    ) -> leads_pb2.Lead:
        return lead_to_proto(self.leads.get(caller(), parsing.uuid(request.id, "id")))

    def ListLeads(
        self, request: leads_pb2.ListLeadsRequest, context: grpc.ServicerContext
    ) -> leads_pb2.ListLeadsResponse:
        page = self.leads.list(
            caller(),
            status=LEAD_STATUSES.optional(request.status, "status"),
            owner_id=request.owner_id.strip() or None,
            team_id=parsing.optional_uuid(request.team_id, "team_id"),
            source=LEAD_SOURCES.optional(request.source, "source"),
            page_size=request.page.page_size,
            page_token=request.page.page_token,
        )
        response = leads_pb2.ListLeadsResponse(leads=[lead_to_proto(lead) for lead in page.items])
        response.page.next_page_token = page.next_page_token
        return response

    def UpdateLead(
        self, request: leads_pb2.UpdateLeadRequest, context: grpc.ServicerContext
    ) -> leads_pb2.Lead:
        paths = parsing.field_mask(request.update_mask.paths, UPDATABLE)
        contact = contact_from_proto(request.contact, "contact") if "contact" in paths else None

        def update(lead: Lead, actor: Actor, now: datetime) -> None:
            lead.update(
                actor,
                now,
                contact=contact,
                notes=request.notes if "notes" in paths else None,
                tags=list(request.tags) if "tags" in paths else None,
            )

        return self._change(request.id, request.expected_version, update)

    def AssignLead(
        self, request: leads_pb2.AssignLeadRequest, context: grpc.ServicerContext
    ) -> leads_pb2.Lead:
        lead = self.leads.assign(
            caller(),
            parsing.uuid(request.id, "id"),
            request.expected_version,
            owner_id=request.owner_id,
            team_id=parsing.optional_uuid(request.team_id, "team_id"),
        )
        return lead_to_proto(lead)

    def QualifyLead(
        self, request: leads_pb2.LeadStepRequest, context: grpc.ServicerContext
    ) -> leads_pb2.Lead:
        return self._change(request.id, request.expected_version, Lead.qualify)

    def DisqualifyLead(
        self, request: leads_pb2.DisqualifyLeadRequest, context: grpc.ServicerContext
    ) -> leads_pb2.Lead:
        return self._change(
            request.id,
            request.expected_version,
            lambda lead, actor, now: lead.disqualify(actor, now, request.reason),
        )

    def MergeLeads(
        self, request: leads_pb2.MergeLeadsRequest, context: grpc.ServicerContext
    ) -> leads_pb2.Lead:
        survivor = self.leads.merge(
            caller(),
            parsing.uuid(request.survivor_id, "survivor_id"),
            parsing.uuid(request.duplicate_id, "duplicate_id"),
        )
        return lead_to_proto(survivor)

    def OverrideLeadScore(
        self, request: leads_pb2.OverrideLeadScoreRequest, context: grpc.ServicerContext
    ) -> leads_pb2.Lead:
        try:
            probability = Decimal(request.win_probability)
        except InvalidOperation:
            raise ValidationFailed(FieldViolation("win_probability", "is not a number")) from None
        return self._change(
            request.id,
            request.expected_version,
            lambda lead, actor, now: lead.override_score(actor, now, probability, request.reason),
        )

    def ClearLeadScoreOverride(
        self, request: leads_pb2.LeadStepRequest, context: grpc.ServicerContext
    ) -> leads_pb2.Lead:
        return self._change(request.id, request.expected_version, Lead.clear_score_override)

    def ConvertLead(
        self, request: leads_pb2.ConvertLeadRequest, context: grpc.ServicerContext
    ) -> leads_pb2.ConvertLeadResponse:
        amount = money_from_proto(request.amount, "amount") if request.HasField("amount") else None
        conversion = self.leads.convert(
            caller(),
            parsing.uuid(request.id, "id"),
            request.expected_version,
            title=request.opportunity_title,
            amount=amount,
            expected_close=parsing.optional_date(request.expected_close, "expected_close"),
        )
        return leads_pb2.ConvertLeadResponse(
            lead=lead_to_proto(conversion.lead),
            customer_id=str(conversion.customer.id),
            opportunity_id=str(conversion.opportunity_id),
            customer_created=conversion.customer.created,
        )

    def _change(self, lead_id: str, expected_version: int, step: LeadStep) -> leads_pb2.Lead:
        lead = self.leads.change(caller(), parsing.uuid(lead_id, "id"), expected_version, step)
        return lead_to_proto(lead)


def binding(leads: LeadHandlers) -> ServiceBinding:
    return ServiceBinding(
        SERVICE.full_name, LeadServicer(leads), leads_pb2_grpc.add_LeadServiceServicer_to_server
    )
