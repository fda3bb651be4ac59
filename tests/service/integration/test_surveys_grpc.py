"""The satisfaction survey over real gRPC on PostgreSQL and SQLite: resolving a case makes its
survey and queues its mail with the signed link (a second resolution after a reopening makes
none); the case's customer sees and answers it once in the portal (SurveyAnswered in the
outbox), another customer gets NOT_FOUND; the signed link answers another without a token, a
changed token is NOT_FOUND; bad scores change nothing; the results count per agent and team."""

from __future__ import annotations

import re
import uuid

import grpc
import pytest
from crm_platform.testing.tokens import customer_token, staff_token
from crm_proto.crm.service.v1 import care_pb2 as S
from crm_proto.crm.service.v1 import (
    care_pb2_grpc,
    cases_pb2_grpc,
    events_pb2,
    routing_pb2,
    routing_pb2_grpc,
)
from crm_proto.crm.service.v1 import cases_pb2 as C
from crm_service.domain.cases import CustomerRecognition, Recognized
from crm_service.domain.outbound import MailKind
from sqlalchemy import Engine

from tests.customer.integration.support import outbox_events
from tests.service.integration.conftest import KnownContacts, unit_of_work
from tests.service.integration.test_cases_grpc import call, refused

pytestmark = pytest.mark.integration

AGENT = staff_token("service_agent", subject="agent-1")
MANAGER = staff_token("manager", subject="manager-1")
CUSTOMER_ID = uuid.uuid4()
CUSTOMER = customer_token(str(CUSTOMER_ID))
OTHER = customer_token(str(uuid.uuid4()))


@pytest.fixture
def surveys(channel: grpc.Channel) -> care_pb2_grpc.SurveyServiceStub:
    return care_pb2_grpc.SurveyServiceStub(channel)


def resolved(stub: cases_pb2_grpc.CaseServiceStub, subject: str) -> C.Case:
    request = C.OpenCaseRequest(
        type=C.CASE_TYPE_COMPLAINT, subject=subject, contact_email="qian@example.cn"
    )
    case = call(stub.OpenCase, request, AGENT)
    assert case.owner_id == "agent-1"  # routed to the team's one agent
    return call(stub.ResolveCase, C.ResolveCaseRequest(id=case.id, resolution="Fixed"), AGENT)


def test_a_resolved_case_is_surveyed_answered_once_and_counted(
    engine: Engine,
    stub: cases_pb2_grpc.CaseServiceStub,
    surveys: care_pb2_grpc.SurveyServiceStub,
    routing: routing_pb2_grpc.RoutingServiceStub,
    customers: KnownContacts,
) -> None:
    customers["qian@example.cn"] = Recognized(CustomerRecognition.RETURNING, CUSTOMER_ID)
    team = call(
        routing.CreateTeam,
        routing_pb2.CreateTeamRequest(name="Care", manager_id="manager-1"),
        MANAGER,
    )
    call(routing.PutAgent, routing_pb2.PutAgentRequest(
        user_id="agent-1", team_id=team.id, capacity=5, available=True), MANAGER)  # fmt: skip
    first, second = resolved(stub, "Sofa torn"), resolved(stub, "Lamp flickers")

    with unit_of_work(engine)() as uow:
        mails = uow.outbound.of_case(uuid.UUID(first.id))
    (mail,) = [m for m in mails if m.kind is MailKind.SURVEY]
    assert (mail.to, mail.subject) == ("qian@example.cn", f"Re: [#{first.reference}] Sofa torn")
    link = re.search(r"https://crm\.example\.com/api/v1/public/surveys/(\S+)", mail.body)
    assert link is not None

    survey = call(surveys.GetCaseSurvey, S.GetCaseSurveyRequest(case_id=first.id), CUSTOMER)
    assert (survey.agent_id, survey.team_id, survey.score) == ("agent-1", team.id, 0)
    error = refused(surveys.GetCaseSurvey, S.GetCaseSurveyRequest(case_id=first.id), OTHER)
    assert error.code() == grpc.StatusCode.NOT_FOUND
    error = refused(surveys.AnswerCaseSurvey, S.AnswerCaseSurveyRequest(
        case_id=first.id, score=6), CUSTOMER)  # fmt: skip
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT

    answered = call(surveys.AnswerCaseSurvey, S.AnswerCaseSurveyRequest(
        case_id=first.id, score=5, comment="Quick and kind"), CUSTOMER)  # fmt: skip
    assert (answered.score, answered.rating) == (5, S.SURVEY_RATING_SATISFIED)
    error = refused(surveys.AnswerCaseSurvey, S.AnswerCaseSurveyRequest(
        case_id=first.id, score=1), CUSTOMER)  # fmt: skip
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION

    with unit_of_work(engine)() as uow:
        (other_mail,) = [m for m in uow.outbound.of_case(uuid.UUID(second.id))
                         if m.kind is MailKind.SURVEY]  # fmt: skip
    token = other_mail.body.split("/public/surveys/")[1].split()[0]
    # the signed link's calls carry no token
    public = surveys.GetSurveyByToken(S.GetSurveyByTokenRequest(token=token), timeout=10)
    assert public.case_reference == second.reference
    surveys.AnswerSurveyByToken(S.AnswerSurveyByTokenRequest(token=token, score=2), timeout=10)
    with pytest.raises(grpc.RpcError) as changed:
        surveys.GetSurveyByToken(S.GetSurveyByTokenRequest(token=token + "x"), timeout=10)
    assert changed.value.code() == grpc.StatusCode.NOT_FOUND

    results = call(surveys.GetSurveyResults, S.GetSurveyResultsRequest(), MANAGER)
    assert (results.overall.answered, results.overall.csat, results.overall.average_score) == (
        2, "0.5000", "3.50",
    )  # fmt: skip
    assert [(r.id, r.satisfied, r.dissatisfied) for r in results.agents] == [("agent-1", 1, 1)]
    assert [(r.id, r.answered) for r in results.teams] == [(team.id, 2)]
    answers = [e.message for e in outbox_events(engine)
               if isinstance(e.message, events_pb2.SurveyAnswered)]  # fmt: skip
    assert [(a.survey.case_id, a.survey.score) for a in answers] == [(first.id, 5), (second.id, 2)]

    reopened = call(stub.ReopenCase, C.ReopenCaseRequest(id=first.id, reason="Again"), CUSTOMER)
    call(stub.ResolveCase, C.ResolveCaseRequest(id=reopened.id, resolution="Fixed"), AGENT)
    with unit_of_work(engine)() as uow:
        kinds = [m.kind for m in uow.outbound.of_case(uuid.UUID(first.id))]
    assert kinds.count(MailKind.SURVEY) == 1
