"""The SurveyService and CareService servicers: request -> handler -> response (care.proto)."""

from __future__ import annotations

import logging
from datetime import UTC

import grpc
from crm_platform import parsing
from crm_platform.grpc_server import ServiceBinding
from crm_proto.crm.service.v1 import care_pb2, care_pb2_grpc

from crm_service.adapters.care_messages import (
    care_task_to_proto,
    results_to_proto,
    survey_to_proto,
)
from crm_service.adapters.survey_links import SignedSurveyLinks
from crm_service.config import SupportSettings
from crm_service.entrypoints.actors import caller
from crm_service.service_layer.care import CareHandlers
from crm_service.service_layer.surveys import SurveyHandlers

log = logging.getLogger(__name__)
SERVICE = care_pb2.DESCRIPTOR.services_by_name["SurveyService"]
CARE = care_pb2.DESCRIPTOR.services_by_name["CareService"]
DEVELOPMENT_SECRET = "development-only-survey-secret"  # noqa: S105 - known to be public


def links_of(settings: SupportSettings) -> SignedSurveyLinks:
    secret = settings.survey_secret
    if secret is None:
        log.warning(
            "CRM_SERVICE_SURVEY_SECRET is unset: survey links are signed with the development "
            "secret, which anyone can read; set it outside development"
        )
        secret = DEVELOPMENT_SECRET
    return SignedSurveyLinks(settings.public_url, secret)


class SurveyServicer(care_pb2_grpc.SurveyServiceServicer):
    def __init__(self, surveys: SurveyHandlers) -> None:
        self.surveys = surveys

    def GetCaseSurvey(
        self, request: care_pb2.GetCaseSurveyRequest, context: grpc.ServicerContext
    ) -> care_pb2.Survey:
        survey = self.surveys.of_case(caller(), parsing.uuid(request.case_id, "case_id"))
        return survey_to_proto(survey)

    def AnswerCaseSurvey(
        self, request: care_pb2.AnswerCaseSurveyRequest, context: grpc.ServicerContext
    ) -> care_pb2.Survey:
        survey = self.surveys.answer_for_case(
            caller(),
            parsing.uuid(request.case_id, "case_id"),
            score=request.score,
            comment=request.comment,
        )
        return survey_to_proto(survey)

    def GetSurveyByToken(
        self, request: care_pb2.GetSurveyByTokenRequest, context: grpc.ServicerContext
    ) -> care_pb2.Survey:
        return survey_to_proto(self.surveys.by_token(request.token))

    def AnswerSurveyByToken(
        self, request: care_pb2.AnswerSurveyByTokenRequest, context: grpc.ServicerContext
    ) -> care_pb2.Survey:
        survey = self.surveys.answer_by_token(
            request.token, score=request.score, comment=request.comment
        )
        return survey_to_proto(survey)

    def GetSurveyResults(
        self, request: care_pb2.GetSurveyResultsRequest, context: grpc.ServicerContext
    ) -> care_pb2.SurveyResults:
        since = request.since.ToDatetime(tzinfo=UTC) if request.HasField("since") else None
        return results_to_proto(self.surveys.results(since))


def binding(surveys: SurveyHandlers) -> ServiceBinding:
    return ServiceBinding(
        SERVICE.full_name,
        SurveyServicer(surveys),
        care_pb2_grpc.add_SurveyServiceServicer_to_server,
    )


class CareServicer(care_pb2_grpc.CareServiceServicer):
    def __init__(self, care: CareHandlers) -> None:
        self.care = care

    def ListCareTasks(
        self, request: care_pb2.ListCareTasksRequest, context: grpc.ServicerContext
    ) -> care_pb2.ListCareTasksResponse:
        page = self.care.of_owner(
            caller(), request.owner_id, request.page.page_size, request.page.page_token
        )
        response = care_pb2.ListCareTasksResponse(
            tasks=[care_task_to_proto(task) for task in page.items]
        )
        response.page.next_page_token = page.next_page_token
        return response


def care_binding(care: CareHandlers) -> ServiceBinding:
    return ServiceBinding(
        CARE.full_name, CareServicer(care), care_pb2_grpc.add_CareServiceServicer_to_server
    )
