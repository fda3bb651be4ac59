"""The AgreementService servicer: request -> handler -> response (sla.proto)."""

from __future__ import annotations

import grpc
from crm_platform import parsing
from crm_platform.grpc_server import ServiceBinding
from crm_proto.crm.service.v1 import sla_pb2, sla_pb2_grpc

from crm_service.adapters.sla_messages import (
    agreement_to_proto,
    calendar_from_proto,
    policy_from_proto,
)
from crm_service.entrypoints.actors import caller
from crm_service.service_layer.sla import AgreementHandlers

SERVICE = sla_pb2.DESCRIPTOR.services_by_name["AgreementService"]


class AgreementServicer(sla_pb2_grpc.AgreementServiceServicer):
    def __init__(self, agreements: AgreementHandlers) -> None:
        self.agreements = agreements

    def CreateAgreement(
        self, request: sla_pb2.CreateAgreementRequest, context: grpc.ServicerContext
    ) -> sla_pb2.Agreement:
        agreement = self.agreements.create(
            caller(),
            customer_id=parsing.uuid(request.customer_id, "customer_id"),
            order_ref=request.order_ref,
            name=request.name,
            policy=policy_from_proto(request.targets),
            calendar=calendar_from_proto(request.calendar),
        )
        return agreement_to_proto(agreement)

    def UpdateAgreement(
        self, request: sla_pb2.UpdateAgreementRequest, context: grpc.ServicerContext
    ) -> sla_pb2.Agreement:
        agreement = self.agreements.update(
            caller(),
            parsing.uuid(request.id, "id"),
            request.expected_version,
            name=request.name,
            policy=policy_from_proto(request.targets),
            calendar=calendar_from_proto(request.calendar),
        )
        return agreement_to_proto(agreement)

    def GetAgreement(
        self, request: sla_pb2.GetAgreementRequest, context: grpc.ServicerContext
    ) -> sla_pb2.Agreement:
        return agreement_to_proto(self.agreements.get(parsing.uuid(request.id, "id")))

    def ListAgreements(
        self, request: sla_pb2.ListAgreementsRequest, context: grpc.ServicerContext
    ) -> sla_pb2.ListAgreementsResponse:
        page = self.agreements.list(
            parsing.optional_uuid(request.customer_id, "customer_id"),
            request.page.page_size,
            request.page.page_token,
        )
        response = sla_pb2.ListAgreementsResponse(
            agreements=[agreement_to_proto(agreement) for agreement in page.items]
        )
        response.page.next_page_token = page.next_page_token
        return response


def binding(agreements: AgreementHandlers) -> ServiceBinding:
    return ServiceBinding(
        SERVICE.full_name,
        AgreementServicer(agreements),
        sla_pb2_grpc.add_AgreementServiceServicer_to_server,
    )
