"""Routing over real gRPC on PostgreSQL and SQLite: a team and its skilled agents, the skill a
case type requires, new cases routed by skill, then fewest open cases, then in turn, also when
opened concurrently (the cursor locked); capacity and availability; the unassigned queue routed
again; manual reassignment; bad input and refusals changing nothing."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import grpc
import pytest
from crm_platform.testing.tokens import bearer, staff_token
from crm_proto.crm.service.v1 import (
    cases_pb2,
    cases_pb2_grpc,
    events_pb2,
    routing_pb2,
    routing_pb2_grpc,
)
from sqlalchemy import Engine

from tests.customer.integration.support import outbox_events

C, R = cases_pb2, routing_pb2
MANAGER = staff_token("manager", subject="manager-1")
AGENT = staff_token("service_agent", subject="agent-a")


def call(rpc: Any, request: Any, token: str = MANAGER) -> Any:
    return rpc(request, metadata=bearer(token), timeout=10)


def refused(rpc: Any, request: Any, token: str = MANAGER) -> grpc.StatusCode:
    with pytest.raises(grpc.RpcError) as error:
        call(rpc, request, token)
    return error.value.code()


def staffed(routing: routing_pb2_grpc.RoutingServiceStub, **agents: tuple[list[str], int]) -> str:
    """A team with these agents (user -> skills, capacity), all available; its id."""
    team = call(routing.CreateTeam, R.CreateTeamRequest(name="Aftercare", manager_id="manager-1"))
    for user, (skills, capacity) in agents.items():
        request = R.PutAgentRequest(
            user_id=user, team_id=team.id, skills=skills, capacity=capacity, available=True
        )
        call(routing.PutAgent, request)
    return str(team.id)


def open_case(
    stub: cases_pb2_grpc.CaseServiceStub, case_type: int = C.CASE_TYPE_AFTER_SALES
) -> C.Case:
    request = C.OpenCaseRequest(type=case_type, subject="Leg broke", contact_phone="+86 21 5555")
    return call(stub.OpenCase, request)


def test_cases_go_to_the_skilled_agent_with_fewest_open_cases_in_turn(
    stub: cases_pb2_grpc.CaseServiceStub,
    routing: routing_pb2_grpc.RoutingServiceStub,
    engine: Engine,
) -> None:
    team_id = staffed(
        routing,
        **{"agent-a": (["Repairs"], 1), "agent-b": (["repairs"], 5), "agent-c": (["billing"], 5)},
    )
    required = call(
        routing.SetRequiredSkill,
        R.SetRequiredSkillRequest(case_type=C.CASE_TYPE_AFTER_SALES, skill="repairs"),
    )
    assert [(r.case_type, r.skill) for r in required.required] == [
        (C.CASE_TYPE_AFTER_SALES, "repairs")
    ]

    owners = [open_case(stub).owner_id for _ in range(3)]
    inquiry = open_case(stub, C.CASE_TYPE_INQUIRY)

    assert owners == ["agent-a", "agent-b", "agent-b"]
    assert (inquiry.owner_id, inquiry.status) == ("agent-c", C.CASE_STATUS_ASSIGNED)
    agents = call(routing.ListAgents, R.ListAgentsRequest(team_id=team_id)).agents
    assert [(a.user_id, a.open_cases, list(a.skills)) for a in agents] == [
        ("agent-a", 1, ["repairs"]), ("agent-b", 2, ["repairs"]), ("agent-c", 1, ["billing"]),
    ]  # fmt: skip
    routed = [
        e.message for e in outbox_events(engine) if isinstance(e.message, events_pb2.CaseAssigned)
    ]
    assert [(m.to_owner_id, m.reason, m.version) for m in routed][:1] == [
        ("agent-a", C.ASSIGNMENT_REASON_ROUTED, 2)
    ]


def test_concurrent_cases_keep_the_turns_and_the_capacities(
    stub: cases_pb2_grpc.CaseServiceStub, routing: routing_pb2_grpc.RoutingServiceStub
) -> None:
    staffed(routing, **{"agent-a": ([], 3), "agent-b": ([], 3), "agent-c": ([], 3)})

    def open_many(_: int) -> list[str]:
        return [open_case(stub, C.CASE_TYPE_INQUIRY).owner_id for _ in range(3)]

    with ThreadPoolExecutor(4) as pool:
        owners = [owner for batch in pool.map(open_many, range(4)) for owner in batch]
    assert Counter(owners) == {"agent-a": 3, "agent-b": 3, "agent-c": 3, "": 3}


def test_an_unavailable_team_leaves_cases_queued_until_routed_again(
    stub: cases_pb2_grpc.CaseServiceStub, routing: routing_pb2_grpc.RoutingServiceStub
) -> None:
    staffed(routing, **{"agent-a": (["repairs"], 2)})
    away = call(
        routing.SetAgentAvailability, R.SetAgentAvailabilityRequest(user_id="agent-a"), AGENT
    )
    assert (away.available, away.version) == (False, 2)
    queued = open_case(stub)
    assert (queued.status, queued.owner_id) == (C.CASE_STATUS_NEW, "")
    assert refused(routing.RouteCase, R.RouteCaseRequest(id=queued.id)) == (
        grpc.StatusCode.FAILED_PRECONDITION
    )

    back = R.SetAgentAvailabilityRequest(user_id="agent-a", available=True)
    call(routing.SetAgentAvailability, back, AGENT)
    routed = call(routing.RouteCase, R.RouteCaseRequest(id=queued.id))

    assert (routed.status, routed.owner_id, routed.version) == (
        C.CASE_STATUS_ASSIGNED,
        "agent-a",
        2,
    )
    moved = call(stub.AssignCase, C.AssignCaseRequest(id=queued.id, owner_id="agent-z"))
    assert (moved.owner_id, moved.status, moved.version) == ("agent-z", C.CASE_STATUS_ASSIGNED, 3)


def test_bad_input_and_refusals_change_nothing(
    routing: routing_pb2_grpc.RoutingServiceStub,
) -> None:
    assert (
        refused(routing.CreateTeam, R.CreateTeamRequest(name=""))
        == grpc.StatusCode.INVALID_ARGUMENT
    )
    assert refused(routing.CreateTeam, R.CreateTeamRequest(name="Mine"), AGENT) == (
        grpc.StatusCode.PERMISSION_DENIED
    )
    too_many = R.PutAgentRequest(user_id="agent-a", capacity=1001)
    assert refused(routing.PutAgent, too_many) == grpc.StatusCode.INVALID_ARGUMENT
    assert (
        refused(
            routing.PutAgent,
            R.PutAgentRequest(user_id="agent-a", team_id="7b0e0d5c-0a2b-4c3d-9e8f-0a1b2c3d4e5f"),
        )
        == grpc.StatusCode.NOT_FOUND
    )
    staffed(routing, **{"agent-a": ([], 1)})
    assert refused(routing.CreateTeam, R.CreateTeamRequest(name="Aftercare")) == (
        grpc.StatusCode.ALREADY_EXISTS
    )
    stale = R.PutAgentRequest(user_id="agent-a", capacity=9, expected_version=7)
    assert refused(routing.PutAgent, stale) == grpc.StatusCode.ABORTED
    other = R.SetAgentAvailabilityRequest(user_id="agent-a", available=False)
    assert refused(
        routing.SetAgentAvailability, other, staff_token("service_agent", subject="agent-q")
    ) == (grpc.StatusCode.PERMISSION_DENIED)
    (agent,) = call(routing.ListAgents, R.ListAgentsRequest()).agents
    assert (agent.capacity, agent.available, agent.version) == (1, True, 1)
    assert len(call(routing.ListTeams, R.ListTeamsRequest()).teams) == 1
