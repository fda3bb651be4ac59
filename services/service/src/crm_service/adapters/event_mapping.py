"""Domain events -> the protobuf events published on crm.events (crm.service.v1.*)."""

from __future__ import annotations

from crm_proto.crm.common.v1 import common_pb2
from google.protobuf.message import Message

from crm_service.adapters import care_messages, messages
from crm_service.domain import care, cases, surveys


def to_message(event: object, actor: common_pb2.Actor) -> Message:
    match event:
        case cases.CaseEvent():
            return messages.event_message(event, actor)
        case surveys.SurveyAnswered():
            return care_messages.survey_answered(event, actor)
        case care.CareDue():
            return care_messages.care_due(event, actor)
    raise TypeError(f"no event message for {type(event).__name__}")
