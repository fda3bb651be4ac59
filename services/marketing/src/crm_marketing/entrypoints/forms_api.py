"""The lead forms' gRPC servicer: request -> handler -> response."""

from __future__ import annotations

import grpc
from crm_platform import parsing
from crm_platform.grpc_server import ServiceBinding
from crm_platform.parsing import timestamp
from crm_proto.crm.marketing.v1 import forms_pb2, forms_pb2_grpc

from crm_marketing.adapters.forms_messages import (
    answers_of,
    form_input,
    form_to_proto,
    submission_to_proto,
)
from crm_marketing.entrypoints.actors import caller
from crm_marketing.service_layer.forms import FormHandlers

SERVICE = forms_pb2.DESCRIPTOR.services_by_name["FormService"]
F = forms_pb2


class FormServicer(forms_pb2_grpc.FormServiceServicer):
    def __init__(self, forms: FormHandlers) -> None:
        self.forms = forms

    def CreateForm(self, request: F.CreateFormRequest, context: grpc.ServicerContext) -> F.LeadForm:
        return form_to_proto(self.forms.create(caller(), form_input(request.form)))

    def GetForm(self, request: F.GetFormRequest, context: grpc.ServicerContext) -> F.LeadForm:
        return form_to_proto(self.forms.get(parsing.uuid(request.id, "id")))

    def ListForms(
        self, request: F.ListFormsRequest, context: grpc.ServicerContext
    ) -> F.ListFormsResponse:
        page = self.forms.list(page_size=request.page.page_size, page_token=request.page.page_token)
        response = F.ListFormsResponse(forms=[form_to_proto(form) for form in page.items])
        response.page.next_page_token = page.next_page_token
        return response

    def UpdateForm(self, request: F.UpdateFormRequest, context: grpc.ServicerContext) -> F.LeadForm:
        form = self.forms.update(
            caller(),
            parsing.uuid(request.id, "id"),
            form_input(request.form),
            request.expected_version,
        )
        return form_to_proto(form)

    def ListSubmissions(
        self, request: F.ListSubmissionsRequest, context: grpc.ServicerContext
    ) -> F.ListSubmissionsResponse:
        page = self.forms.submissions(
            parsing.uuid(request.form_id, "form_id"),
            page_size=request.page.page_size,
            page_token=request.page.page_token,
        )
        response = F.ListSubmissionsResponse(
            submissions=[submission_to_proto(found) for found in page.items]
        )
        response.page.next_page_token = page.next_page_token
        return response

    def SubmitForm(
        self, request: F.SubmitFormRequest, context: grpc.ServicerContext
    ) -> F.SubmitFormResponse:
        captured = self.forms.submit(
            caller(), parsing.uuid(request.form_id, "form_id"), answers_of(request)
        )
        return F.SubmitFormResponse(
            lead_id=str(captured.lead_id), captured_at=timestamp(captured.captured_at)
        )


def binding(forms: FormHandlers) -> ServiceBinding:
    return ServiceBinding(
        SERVICE.full_name, FormServicer(forms), forms_pb2_grpc.add_FormServiceServicer_to_server
    )
