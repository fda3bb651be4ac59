"""Teams, agents and required skills <-> their protobuf messages (routing.proto)."""

from __future__ import annotations

from crm_platform.parsing import timestamp
from crm_proto.crm.service.v1 import routing_pb2

from crm_service.adapters.messages import CASE_TYPES
from crm_service.domain.cases import CaseType
from crm_service.domain.routing import AgentLoad, Team


def team_to_proto(team: Team) -> routing_pb2.Team:
    return routing_pb2.Team(
        id=str(team.id),
        name=team.name,
        manager_id=team.manager_id or "",
        version=team.version,
        created_at=timestamp(team.created_at),
    )


def agent_to_proto(load: AgentLoad) -> routing_pb2.Agent:
    agent = load.agent
    return routing_pb2.Agent(
        user_id=agent.user_id,
        team_id="" if agent.team_id is None else str(agent.team_id),
        skills=sorted(agent.skills),
        capacity=agent.capacity,
        available=agent.available,
        open_cases=load.open_cases,
        version=agent.version,
        updated_at=timestamp(agent.updated_at),
    )


def required_to_proto(required: dict[CaseType, str]) -> routing_pb2.RequiredSkills:
    return routing_pb2.RequiredSkills(
        required=[
            routing_pb2.RequiredSkill(case_type=CASE_TYPES.to_proto(case_type), skill=skill)
            for case_type, skill in sorted(required.items())
        ]
    )
