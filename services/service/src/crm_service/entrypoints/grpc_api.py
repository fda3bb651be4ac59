"""The CaseService servicer: request -> handler -> response (cases.proto)."""

from __future__ import annotations

from datetime import UTC

import grpc
from crm_platform import parsing
from crm_platform.grpc_server import ServiceBinding
from crm_proto.crm.service.v1 import cases_pb2, cases_pb2_grpc

from crm_service.adapters.messages import (
    CALL_DIRECTIONS,
    CASE_CHANNELS,
    CASE_PRIORITIES,
    CASE_STATUSES,
    CASE_TYPES,
    case_to_proto,
)
from crm_service.domain.cases import Case, CaseDetails, CasePriority, Contact
from crm_service.domain.values import Actor
from crm_service.entrypoints.actors import caller
from crm_service.service_layer.calls import CallHandlers
from crm_service.service_layer.cases import CaseHandlers, CaseStep

SERVICE = cases_pb2.DESCRIPTOR.services_by_name["CaseService"]


class CaseServicer(cases_pb2_grpc.CaseServiceServicer):
    def __init__(self, cases: CaseHandlers, calls: CallHandlers) -> None:
        self.cases = cases
        self.calls = calls

    def OpenCase(
        self, request: cases_pb2.OpenCaseRequest, context: grpc.ServicerContext
    ) -> cases_pb2.Case:
        actor = caller()
        details = CaseDetails(
            type=CASE_TYPES.required(request.type, "type"),
            priority=CASE_PRIORITIES.optional(request.priority, "priority") or CasePriority.NORMAL,
            subject=request.subject,
            description=request.description,
            product_ref=request.product_ref,
            order_ref=request.order_ref,
        )
        case = self.cases.open(
            actor,
            details=details,
            channel=CASE_CHANNELS.optional(request.channel, "channel"),
            contact=Contact(email=request.contact_email, phone=request.contact_phone),
        )
        return self._answer(case, actor)

    def GetCase(
        self, request: cases_pb2.GetCaseRequest, context: grpc.ServicerContext
    ) -> cases_pb2.Case:
        actor = caller()
        return self._answer(self.cases.get(actor, parsing.uuid(request.id, "id")), actor)

    def ListCases(
        self, request: cases_pb2.ListCasesRequest, context: grpc.ServicerContext
    ) -> cases_pb2.ListCasesResponse:
        actor = caller()
        page = self.cases.list(
            actor,
            status=CASE_STATUSES.optional(request.status, "status"),
            owner_id=request.owner_id.strip() or None,
            unassigned=request.unassigned,
            customer_id=parsing.optional_uuid(request.customer_id, "customer_id"),
            page_size=request.page.page_size,
            page_token=request.page.page_token,
        )
        response = cases_pb2.ListCasesResponse(
            cases=[self._answer(case, actor) for case in page.items]
        )
        response.page.next_page_token = page.next_page_token
        return response

    def AssignCase(
        self, request: cases_pb2.AssignCaseRequest, context: grpc.ServicerContext
    ) -> cases_pb2.Case:
        actor = caller()
        case = self.cases.assign(
            actor, parsing.uuid(request.id, "id"), request.expected_version, request.owner_id
        )
        return self._answer(case, actor)

    def StartCase(
        self, request: cases_pb2.CaseStepRequest, context: grpc.ServicerContext
    ) -> cases_pb2.Case:
        return self._change(request.id, request.expected_version, Case.start)

    def WaitOnCustomer(
        self, request: cases_pb2.CaseStepRequest, context: grpc.ServicerContext
    ) -> cases_pb2.Case:
        return self._change(request.id, request.expected_version, Case.wait_on_customer)

    def ResolveCase(
        self, request: cases_pb2.ResolveCaseRequest, context: grpc.ServicerContext
    ) -> cases_pb2.Case:
        return self._change(
            request.id,
            request.expected_version,
            lambda case, actor, now: case.resolve(actor, now, request.resolution),
        )

    def CloseCase(
        self, request: cases_pb2.CaseStepRequest, context: grpc.ServicerContext
    ) -> cases_pb2.Case:
        return self._change(request.id, request.expected_version, Case.close)

    def ReopenCase(
        self, request: cases_pb2.ReopenCaseRequest, context: grpc.ServicerContext
    ) -> cases_pb2.Case:
        actor = caller()
        case = self.cases.reopen(
            actor, parsing.uuid(request.id, "id"), request.expected_version, request.reason
        )
        return self._answer(case, actor)

    def AddCaseMessage(
        self, request: cases_pb2.AddCaseMessageRequest, context: grpc.ServicerContext
    ) -> cases_pb2.Case:
        actor = caller()
        case = self.cases.add_message(
            actor,
            parsing.uuid(request.id, "id"),
            request.expected_version,
            body=request.body,
            internal=request.internal,
        )
        return self._answer(case, actor)

    def LogCall(
        self, request: cases_pb2.LogCallRequest, context: grpc.ServicerContext
    ) -> cases_pb2.LogCallResponse:
        actor = caller()
        started = request.started_at if request.HasField("started_at") else None
        logged = self.calls.log(
            actor,
            phone=request.phone,
            direction=CALL_DIRECTIONS.required(request.direction, "direction"),
            duration_seconds=request.duration_seconds,
            recording_url=request.recording_url,
            started_at=None if started is None else started.ToDatetime(tzinfo=UTC),
        )
        return cases_pb2.LogCallResponse(
            call_id=str(logged.call.id), opened=logged.opened, case=self._answer(logged.case, actor)
        )

    def _answer(self, case: Case, actor: Actor) -> cases_pb2.Case:
        return case_to_proto(case, actor, self.cases.clock_views(case))

    def _change(self, case_id: str, expected_version: int, step: CaseStep) -> cases_pb2.Case:
        actor = caller()
        case = self.cases.change(actor, parsing.uuid(case_id, "id"), expected_version, step)
        return self._answer(case, actor)


def binding(cases: CaseHandlers) -> ServiceBinding:
    calls = CallHandlers(cases.uow_factory, cases, cases.clock)
    return ServiceBinding(
        SERVICE.full_name,
        CaseServicer(cases, calls),
        cases_pb2_grpc.add_CaseServiceServicer_to_server,
    )
