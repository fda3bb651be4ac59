"""Surveys, their results and care tasks <-> their protobuf messages (care.proto), and
SurveyAnswered and CareDue as published (events.proto)."""

from __future__ import annotations

from crm_platform.enums import EnumCodec
from crm_platform.parsing import timestamp
from crm_proto.crm.common.v1 import common_pb2
from crm_proto.crm.service.v1 import care_pb2, events_pb2

from crm_service.domain.care import CareDue, CareOccasion, CareTask
from crm_service.domain.surveys import Rating, Results, Survey, SurveyAnswered, Tally

RATINGS = EnumCodec(Rating, care_pb2.SurveyRating)
OCCASIONS = EnumCodec(CareOccasion, care_pb2.CareOccasion)


def survey_to_proto(survey: Survey) -> care_pb2.Survey:
    message = care_pb2.Survey(
        id=str(survey.id),
        case_id=str(survey.case_id),
        case_reference=survey.case_reference,
        case_subject=survey.case_subject,
        customer_id=str(survey.customer_id or ""),
        agent_id=survey.agent_id or "",
        team_id=str(survey.team_id or ""),
        score=survey.score,
        comment=survey.comment,
        created_at=timestamp(survey.created_at),
        version=survey.version,
    )
    if survey.rating is not None:
        message.rating = RATINGS.to_proto(survey.rating)
    if survey.answered_at is not None:
        message.answered_at.CopyFrom(timestamp(survey.answered_at))
    return message


def _result(tally: Tally) -> care_pb2.SurveyResult:
    return care_pb2.SurveyResult(
        id=tally.id,
        answered=tally.answered,
        satisfied=tally.satisfied,
        okay=tally.okay,
        dissatisfied=tally.dissatisfied,
        average_score=str(tally.average_score),
        csat=str(tally.csat),
    )


def results_to_proto(results: Results) -> care_pb2.SurveyResults:
    return care_pb2.SurveyResults(
        overall=_result(results.overall),
        agents=[_result(tally) for tally in results.agents],
        teams=[_result(tally) for tally in results.teams],
    )


def survey_answered(event: SurveyAnswered, actor: common_pb2.Actor) -> events_pb2.SurveyAnswered:
    return events_pb2.SurveyAnswered(
        survey=survey_to_proto(event.survey), version=event.version, actor=actor
    )


def care_task_to_proto(task: CareTask) -> care_pb2.CareTask:
    return care_pb2.CareTask(
        id=str(task.id),
        customer_id=str(task.customer_id),
        customer_name=task.customer_name,
        owner_id=task.owner_id or "",
        occasion=OCCASIONS.to_proto(task.occasion),
        due_on=task.due_on.isoformat(),
        years=task.years,
        created_at=timestamp(task.created_at),
    )


def care_due(event: CareDue, actor: common_pb2.Actor) -> events_pb2.CareDue:
    return events_pb2.CareDue(
        task=care_task_to_proto(event.task), version=event.version, actor=actor
    )
