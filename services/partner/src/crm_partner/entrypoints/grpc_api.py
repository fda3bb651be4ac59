"""The PartnerService servicer: request -> handler -> response (partner.proto).

The chassis checks each request against the `rules` of partner.proto before it gets here;
what needs the service (a rating's range, a share of the cost, the deadline) becomes
ValidationFailed or another typed error with the field's path."""

from __future__ import annotations

import grpc
from crm_platform import parsing
from crm_platform.grpc_server import ServiceBinding
from crm_proto.crm.partner.v1 import partner_pb2, partner_pb2_grpc

from crm_partner.adapters.messages import (
    ASSIGNMENT_STATES,
    REGISTRATION_STATES,
    TIERS,
    WORK_KINDS,
    amount_from_proto,
    assignment_to_proto,
    campaign_to_proto,
    load_to_proto,
    place_from_proto,
    registration_to_proto,
    scorecard_to_proto,
    suggestion_to_proto,
)
from crm_partner.domain.assignments import Work
from crm_partner.domain.partners import Profile, Tier
from crm_partner.domain.values import checked_names
from crm_partner.entrypoints.actors import caller
from crm_partner.service_layer.campaigns import CampaignHandlers
from crm_partner.service_layer.directory import DirectoryHandlers
from crm_partner.service_layer.outsourcing import OutsourcingHandlers
from crm_partner.service_layer.ports import AssignmentFilters
from crm_partner.service_layer.registrations import RegistrationHandlers

SERVICE = partner_pb2.DESCRIPTOR.services_by_name["PartnerService"]

PartnerFields = partner_pb2.CreatePartnerRequest | partner_pb2.UpdatePartnerRequest


def _profile(request: PartnerFields, *, active: bool) -> Profile:
    return Profile.of(
        name=request.name,
        capabilities=list(request.capabilities),
        specialties=list(request.specialties),
        regions=list(request.regions),
        location=place_from_proto(request.location),
        capacity=request.capacity,
        tier=TIERS.optional(request.tier, "tier") or Tier.BRONZE,
        rating=request.rating,
        active=active,
        competitor=request.competitor,
    )


class PartnerServicer(partner_pb2_grpc.PartnerServiceServicer):
    def __init__(
        self,
        directory: DirectoryHandlers,
        outsourcing: OutsourcingHandlers,
        registrations: RegistrationHandlers,
        campaigns: CampaignHandlers,
    ) -> None:
        self.directory = directory
        self.outsourcing = outsourcing
        self.registrations = registrations
        self.campaigns = campaigns

    # -- the directory --------------------------------------------------------------------------

    def CreatePartner(
        self, request: partner_pb2.CreatePartnerRequest, context: grpc.ServicerContext
    ) -> partner_pb2.Partner:
        profile = _profile(request, active=not request.inactive)
        return load_to_proto(self.directory.create(caller(), profile))

    def GetPartner(
        self, request: partner_pb2.GetPartnerRequest, context: grpc.ServicerContext
    ) -> partner_pb2.Partner:
        return load_to_proto(self.directory.get(caller(), parsing.uuid(request.id, "id")))

    def ListPartners(
        self, request: partner_pb2.ListPartnersRequest, context: grpc.ServicerContext
    ) -> partner_pb2.ListPartnersResponse:
        page = self.directory.list(
            caller(), request.capability, request.page.page_size, request.page.page_token
        )
        response = partner_pb2.ListPartnersResponse(
            partners=[load_to_proto(load) for load in page.items]
        )
        response.page.next_page_token = page.next_page_token
        return response

    def UpdatePartner(
        self, request: partner_pb2.UpdatePartnerRequest, context: grpc.ServicerContext
    ) -> partner_pb2.Partner:
        load = self.directory.update(
            caller(),
            parsing.uuid(request.id, "id"),
            _profile(request, active=request.active),
            request.expected_version,
        )
        return load_to_proto(load)

    # -- outsourcing ----------------------------------------------------------------------------

    def ListSuggestions(
        self, request: partner_pb2.ListSuggestionsRequest, context: grpc.ServicerContext
    ) -> partner_pb2.ListSuggestionsResponse:
        found = self.outsourcing.suggest(
            caller(),
            capabilities=checked_names(list(request.capabilities), "capabilities"),
            place=place_from_proto(request.place),
            assignment_id=parsing.optional_uuid(request.assignment_id, "assignment_id"),
            limit=request.limit,
        )
        return partner_pb2.ListSuggestionsResponse(
            suggestions=[suggestion_to_proto(s) for s in found.items],
            radius_km=found.radius_km or 0,
        )

    def OutsourceWork(
        self, request: partner_pb2.OutsourceWorkRequest, context: grpc.ServicerContext
    ) -> partner_pb2.Assignment:
        work = Work(
            kind=WORK_KINDS.required(request.work_kind, "work_kind"),
            work_id=parsing.uuid(request.work_id, "work_id"),
            customer_id=parsing.optional_uuid(request.customer_id, "customer_id"),
            capabilities=checked_names(list(request.capabilities), "capabilities"),
            place=place_from_proto(request.place),
            due_at=parsing.optional_time(request, "due_at"),
            note=request.note.strip(),
        )
        assignment = self.outsourcing.outsource(
            caller(), work, parsing.optional_uuid(request.partner_id, "partner_id")
        )
        return assignment_to_proto(assignment)

    def GetAssignment(
        self, request: partner_pb2.GetAssignmentRequest, context: grpc.ServicerContext
    ) -> partner_pb2.Assignment:
        return assignment_to_proto(self.outsourcing.get(caller(), parsing.uuid(request.id, "id")))

    def ListAssignments(
        self, request: partner_pb2.ListAssignmentsRequest, context: grpc.ServicerContext
    ) -> partner_pb2.ListAssignmentsResponse:
        filters = AssignmentFilters(
            partner_id=parsing.optional_uuid(request.partner_id, "partner_id"),
            state=ASSIGNMENT_STATES.optional(request.state, "state"),
            work_id=parsing.optional_uuid(request.work_id, "work_id"),
        )
        page = self.outsourcing.list(
            caller(), filters, request.page.page_size, request.page.page_token
        )
        response = partner_pb2.ListAssignmentsResponse(
            assignments=[assignment_to_proto(a) for a in page.items]
        )
        response.page.next_page_token = page.next_page_token
        return response

    def AcceptAssignment(
        self, request: partner_pb2.AnswerAssignmentRequest, context: grpc.ServicerContext
    ) -> partner_pb2.Assignment:
        assignment = self.outsourcing.accept(
            caller(), parsing.uuid(request.id, "id"), request.expected_version
        )
        return assignment_to_proto(assignment)

    def DeclineAssignment(
        self, request: partner_pb2.AnswerAssignmentRequest, context: grpc.ServicerContext
    ) -> partner_pb2.Assignment:
        assignment = self.outsourcing.decline(
            caller(), parsing.uuid(request.id, "id"), request.reason, request.expected_version
        )
        return assignment_to_proto(assignment)

    def WithdrawAssignment(
        self, request: partner_pb2.WithdrawAssignmentRequest, context: grpc.ServicerContext
    ) -> partner_pb2.Assignment:
        assignment = self.outsourcing.withdraw(
            caller(), parsing.uuid(request.id, "id"), request.expected_version
        )
        return assignment_to_proto(assignment)

    # -- deal registration ----------------------------------------------------------------------

    def RegisterDeal(
        self, request: partner_pb2.RegisterDealRequest, context: grpc.ServicerContext
    ) -> partner_pb2.DealRegistration:
        registration = self.registrations.register(
            caller(),
            customer_id=parsing.uuid(request.customer_id, "customer_id"),
            opportunity_id=parsing.optional_uuid(request.opportunity_id, "opportunity_id"),
            title=request.title,
            amount=amount_from_proto(request.amount, "amount"),
            notes=request.notes,
        )
        return registration_to_proto(registration.view())

    def GetDealRegistration(
        self, request: partner_pb2.GetDealRegistrationRequest, context: grpc.ServicerContext
    ) -> partner_pb2.DealRegistration:
        registration = self.registrations.get(caller(), parsing.uuid(request.id, "id"))
        return registration_to_proto(registration.view())

    def ListDealRegistrations(
        self, request: partner_pb2.ListDealRegistrationsRequest, context: grpc.ServicerContext
    ) -> partner_pb2.ListDealRegistrationsResponse:
        page = self.registrations.list(
            caller(),
            REGISTRATION_STATES.optional(request.state, "state"),
            request.page.page_size,
            request.page.page_token,
        )
        response = partner_pb2.ListDealRegistrationsResponse(
            registrations=[registration_to_proto(r.view()) for r in page.items]
        )
        response.page.next_page_token = page.next_page_token
        return response

    def SubmitDealRegistration(
        self, request: partner_pb2.DealRegistrationStepRequest, context: grpc.ServicerContext
    ) -> partner_pb2.DealRegistration:
        registration = self.registrations.submit(
            caller(), parsing.uuid(request.id, "id"), request.expected_version
        )
        return registration_to_proto(registration.view())

    def ApproveDealRegistration(
        self, request: partner_pb2.DealRegistrationStepRequest, context: grpc.ServicerContext
    ) -> partner_pb2.DealRegistration:
        registration = self.registrations.approve(
            caller(), parsing.uuid(request.id, "id"), request.expected_version
        )
        return registration_to_proto(registration.view())

    def RejectDealRegistration(
        self, request: partner_pb2.DealRegistrationStepRequest, context: grpc.ServicerContext
    ) -> partner_pb2.DealRegistration:
        registration = self.registrations.reject(
            caller(), parsing.uuid(request.id, "id"), request.reason, request.expected_version
        )
        return registration_to_proto(registration.view())

    # -- joint campaigns and scorecards ---------------------------------------------------------

    def SponsorCampaign(
        self, request: partner_pb2.SponsorCampaignRequest, context: grpc.ServicerContext
    ) -> partner_pb2.JointCampaign:
        campaign = self.campaigns.sponsor(
            caller(),
            parsing.uuid(request.campaign_id, "campaign_id"),
            parsing.uuid(request.partner_id, "partner_id"),
            request.share,
        )
        return campaign_to_proto(campaign)

    def GetJointCampaign(
        self, request: partner_pb2.GetJointCampaignRequest, context: grpc.ServicerContext
    ) -> partner_pb2.JointCampaign:
        campaign = self.campaigns.get(parsing.uuid(request.campaign_id, "campaign_id"))
        return campaign_to_proto(campaign)

    def GetScorecard(
        self, request: partner_pb2.GetScorecardRequest, context: grpc.ServicerContext
    ) -> partner_pb2.Scorecard:
        card = self.directory.scorecard(caller(), parsing.uuid(request.partner_id, "partner_id"))
        return scorecard_to_proto(card)


def binding(servicer: PartnerServicer) -> ServiceBinding:
    return ServiceBinding(
        SERVICE.full_name, servicer, partner_pb2_grpc.add_PartnerServiceServicer_to_server
    )
