"""The RoutingService servicer: request -> handler -> response (routing.proto)."""

from __future__ import annotations

import grpc
from crm_platform import parsing
from crm_platform.grpc_server import ServiceBinding
from crm_proto.crm.service.v1 import cases_pb2, routing_pb2, routing_pb2_grpc

from crm_service.adapters.messages import CASE_TYPES, case_to_proto
from crm_service.adapters.routing_messages import agent_to_proto, required_to_proto, team_to_proto
from crm_service.entrypoints.actors import caller
from crm_service.service_layer.routing import RoutingHandlers

SERVICE = routing_pb2.DESCRIPTOR.services_by_name["RoutingService"]


class RoutingServicer(routing_pb2_grpc.RoutingServiceServicer):
    def __init__(self, routing: RoutingHandlers) -> None:
        self.routing = routing

    def CreateTeam(
        self, request: routing_pb2.CreateTeamRequest, context: grpc.ServicerContext
    ) -> routing_pb2.Team:
        team = self.routing.create_team(caller(), name=request.name, manager_id=request.manager_id)
        return team_to_proto(team)

    def ListTeams(
        self, request: routing_pb2.ListTeamsRequest, context: grpc.ServicerContext
    ) -> routing_pb2.ListTeamsResponse:
        teams = self.routing.teams(caller())
        return routing_pb2.ListTeamsResponse(teams=[team_to_proto(team) for team in teams])

    def PutAgent(
        self, request: routing_pb2.PutAgentRequest, context: grpc.ServicerContext
    ) -> routing_pb2.Agent:
        load = self.routing.put_agent(
            caller(),
            user_id=request.user_id,
            team_id=parsing.optional_uuid(request.team_id, "team_id"),
            skills=request.skills,
            capacity=request.capacity,
            available=request.available,
            expected_version=request.expected_version,
        )
        return agent_to_proto(load)

    def SetAgentAvailability(
        self, request: routing_pb2.SetAgentAvailabilityRequest, context: grpc.ServicerContext
    ) -> routing_pb2.Agent:
        load = self.routing.set_availability(caller(), request.user_id, request.available)
        return agent_to_proto(load)

    def ListAgents(
        self, request: routing_pb2.ListAgentsRequest, context: grpc.ServicerContext
    ) -> routing_pb2.ListAgentsResponse:
        loads = self.routing.agents(caller(), parsing.optional_uuid(request.team_id, "team_id"))
        return routing_pb2.ListAgentsResponse(agents=[agent_to_proto(load) for load in loads])

    def SetRequiredSkill(
        self, request: routing_pb2.SetRequiredSkillRequest, context: grpc.ServicerContext
    ) -> routing_pb2.RequiredSkills:
        required = self.routing.set_required_skill(
            caller(), CASE_TYPES.required(request.case_type, "case_type"), request.skill
        )
        return required_to_proto(required)

    def ListRequiredSkills(
        self, request: routing_pb2.ListRequiredSkillsRequest, context: grpc.ServicerContext
    ) -> routing_pb2.RequiredSkills:
        return required_to_proto(self.routing.required_skills(caller()))

    def RouteCase(
        self, request: routing_pb2.RouteCaseRequest, context: grpc.ServicerContext
    ) -> cases_pb2.Case:
        actor = caller()
        return case_to_proto(self.routing.route(actor, parsing.uuid(request.id, "id")), actor)


def binding(routing: RoutingHandlers) -> ServiceBinding:
    return ServiceBinding(
        SERVICE.full_name,
        RoutingServicer(routing),
        routing_pb2_grpc.add_RoutingServiceServicer_to_server,
    )
