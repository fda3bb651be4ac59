"""The TeamService servicer: request -> handler -> response (teams.proto)."""

from __future__ import annotations

from datetime import datetime

import grpc
from crm_platform import parsing
from crm_platform.grpc_server import ServiceBinding
from crm_proto.crm.sales.v1 import teams_pb2, teams_pb2_grpc

from crm_sales.adapters.leads_messages import rule_from_proto, team_to_proto
from crm_sales.domain.teams import Team
from crm_sales.domain.values import Actor
from crm_sales.entrypoints.actors import caller
from crm_sales.service_layer.teams import TeamChange, TeamHandlers, TeamView

SERVICE = teams_pb2.DESCRIPTOR.services_by_name["TeamService"]
UPDATABLE = ("name", "rule", "stage_probabilities", "score_points")


class TeamServicer(teams_pb2_grpc.TeamServiceServicer):
    def __init__(self, teams: TeamHandlers) -> None:
        self.teams = teams

    def CreateTeam(
        self, request: teams_pb2.CreateTeamRequest, context: grpc.ServicerContext
    ) -> teams_pb2.Team:
        return _answer(
            self.teams.create(
                caller(),
                name=request.name,
                rule=rule_from_proto(request.rule, "rule"),
                stage_probabilities=dict(request.stage_probabilities),
                score_points=dict(request.score_points),
            )
        )

    def GetTeam(
        self, request: teams_pb2.GetTeamRequest, context: grpc.ServicerContext
    ) -> teams_pb2.Team:
        return _answer(self.teams.get(caller(), parsing.uuid(request.id, "id")))

    def ListTeams(
        self, request: teams_pb2.ListTeamsRequest, context: grpc.ServicerContext
    ) -> teams_pb2.ListTeamsResponse:
        page = self.teams.list(
            caller(), page_size=request.page.page_size, page_token=request.page.page_token
        )
        response = teams_pb2.ListTeamsResponse(teams=[_answer(view) for view in page.items])
        response.page.next_page_token = page.next_page_token
        return response

    def UpdateTeam(
        self, request: teams_pb2.UpdateTeamRequest, context: grpc.ServicerContext
    ) -> teams_pb2.Team:
        paths = parsing.field_mask(request.update_mask.paths, UPDATABLE)
        rule = rule_from_proto(request.rule, "rule") if "rule" in paths else None

        def update(team: Team, actor: Actor, now: datetime) -> None:
            team.update(
                actor,
                now,
                name=request.name if "name" in paths else None,
                rule=rule,
                stage_probabilities=dict(request.stage_probabilities)
                if "stage_probabilities" in paths
                else None,
                score_points=dict(request.score_points) if "score_points" in paths else None,
            )

        return self._change(request.id, request.expected_version, update)

    def SetTeamMember(
        self, request: teams_pb2.SetTeamMemberRequest, context: grpc.ServicerContext
    ) -> teams_pb2.Team:
        return self._change(
            request.team_id,
            request.expected_version,
            lambda team, actor, now: team.set_member(
                actor,
                now,
                user_id=request.user_id,
                is_manager=request.is_manager,
                monthly_capacity=request.monthly_capacity,
                active=request.active,
            ),
            field="team_id",
        )

    def RemoveTeamMember(
        self, request: teams_pb2.RemoveTeamMemberRequest, context: grpc.ServicerContext
    ) -> teams_pb2.Team:
        return self._change(
            request.team_id,
            request.expected_version,
            lambda team, actor, now: team.remove_member(actor, now, request.user_id.strip()),
            field="team_id",
        )

    def _change(
        self, team_id: str, expected_version: int, change: TeamChange, field: str = "id"
    ) -> teams_pb2.Team:
        return _answer(
            self.teams.change(
                caller(),
                parsing.uuid(team_id, field),
                expected_version,
                change,
            )
        )


def _answer(view: TeamView) -> teams_pb2.Team:
    return team_to_proto(view.team, view.assigned)


def binding(teams: TeamHandlers) -> ServiceBinding:
    return ServiceBinding(
        SERVICE.full_name, TeamServicer(teams), teams_pb2_grpc.add_TeamServiceServicer_to_server
    )
