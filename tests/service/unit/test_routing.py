"""Routing on fakes: the required skill, then the fewest open cases, then in turn; capacity
and availability; the unassigned queue and routing a queued case again; who may change agents."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from crm_platform.errors import FailedPrecondition, PermissionDenied, ValidationFailed
from crm_service.domain import cases as events
from crm_service.domain.cases import CaseDetails, CasePriority, CaseStatus, CaseType, Contact
from crm_service.domain.routing import Agent, AgentLoad, AssignmentReason, choose_agent
from crm_service.service_layer.cases import CaseHandlers
from crm_service.service_layer.routing import RoutingHandlers

from tests.service.unit.fakes import (
    ADMIN,
    AGENT,
    MANAGER,
    OTHER_AGENT,
    Clock,
    FakeCustomers,
    FakeStore,
    FakeUnitOfWork,
)

AT = datetime(2026, 12, 3, tzinfo=UTC)


def load(user: str, open_cases: int = 0, *, skills: str = "", capacity: int = 5) -> AgentLoad:
    agent = Agent(user, None, frozenset(skills.split()), capacity, True, 1, AT)
    return AgentLoad(agent, open_cases)


def test_the_skill_then_the_fewest_open_cases_then_in_turn() -> None:
    loads = [
        load("a", 1, skills="sofas"),
        load("b", 0, skills="sofas beds"),
        load("c", 0, skills="sofas"),
        load("d", 0, skills="beds"),
    ]
    assert choose_agent(loads, "sofas", None) == "b"
    assert choose_agent(loads, "sofas", "b") == "c"
    assert choose_agent(loads, "sofas", "c") == "b"  # wraps around
    assert choose_agent(loads, "beds", "b") == "d"
    assert choose_agent(loads, "", "c") == "d"  # any skill: b, c and d have none open
    assert choose_agent(loads, "lamps", None) is None


def test_capacity_and_availability_leave_agents_out() -> None:
    full = load("a", 2, capacity=2)
    away = AgentLoad(Agent("b", None, frozenset(), 5, False, 1, AT), 0)
    assert choose_agent([full, away], "", None) is None
    assert choose_agent([full, away, load("c", 4)], "", None) == "c"


@pytest.fixture
def store() -> FakeStore:
    return FakeStore()


@pytest.fixture
def routing(store: FakeStore) -> RoutingHandlers:
    return RoutingHandlers(lambda: FakeUnitOfWork(store), clock=Clock())


@pytest.fixture
def cases(store: FakeStore) -> CaseHandlers:
    return CaseHandlers(lambda: FakeUnitOfWork(store), FakeCustomers(), clock=Clock())


def open_case(cases: CaseHandlers, case_type: CaseType = CaseType.AFTER_SALES) -> str | None:
    details = CaseDetails(case_type, CasePriority.NORMAL, "Broken leg")
    case = cases.open(AGENT, details=details, channel=None, contact=Contact(email="a@b.cn"))
    return case.owner_id


def agent(routing: RoutingHandlers, user: str, skills: list[str], capacity: int = 5) -> None:
    routing.put_agent(
        MANAGER, user_id=user, team_id=None, skills=skills, capacity=capacity, available=True,
        expected_version=0,
    )  # fmt: skip


def test_new_cases_are_routed_to_the_skilled_agents_in_turn(
    routing: RoutingHandlers, cases: CaseHandlers, store: FakeStore
) -> None:
    routing.set_required_skill(MANAGER, CaseType.AFTER_SALES, " Repairs ")
    agent(routing, "agent-1", ["repairs"], capacity=1)
    agent(routing, "agent-2", ["repairs", "sofas"])
    agent(routing, "agent-3", ["billing"])

    assert [open_case(cases) for _ in range(3)] == ["agent-1", "agent-2", "agent-2"]
    assert open_case(cases, CaseType.INQUIRY) == "agent-3"  # no skill needed: the least busy

    routed = [e for e in store.events if isinstance(e, events.CaseAssigned)]
    assert {e.reason for e in routed} == {AssignmentReason.ROUTED}
    assert [e.version for e in routed] == [2, 2, 2, 2]
    loads = {load.agent.user_id: load.open_cases for load in routing.agents(MANAGER, None)}
    assert loads == {"agent-1": 1, "agent-2": 2, "agent-3": 1}


def test_with_nobody_free_the_case_waits_and_is_routed_later(
    routing: RoutingHandlers, cases: CaseHandlers, store: FakeStore
) -> None:
    routing.set_required_skill(MANAGER, CaseType.AFTER_SALES, "repairs")
    agent(routing, "agent-1", ["repairs"])
    routing.set_availability(AGENT, "agent-1", False)
    assert open_case(cases) is None
    (queued,) = store.cases.values()
    assert queued.status is CaseStatus.NEW
    with pytest.raises(FailedPrecondition):
        routing.route(MANAGER, queued.id)

    routing.set_availability(AGENT, "agent-1", True)
    case = routing.route(MANAGER, queued.id)

    assert (case.status, case.owner_id) == (CaseStatus.ASSIGNED, "agent-1")
    with pytest.raises(FailedPrecondition):
        routing.route(ADMIN, queued.id)


def test_only_managers_change_agents_and_an_agent_only_their_availability(
    routing: RoutingHandlers, store: FakeStore
) -> None:
    with pytest.raises(PermissionDenied):  # an agent may not change their own profile
        routing.put_agent(
            AGENT, user_id="agent-1", team_id=None, skills=[], capacity=1, available=True,
            expected_version=0,
        )  # fmt: skip
    agent(routing, "agent-1", ["repairs"])
    with pytest.raises(PermissionDenied):
        routing.set_availability(OTHER_AGENT, "agent-1", False)
    with pytest.raises(ValidationFailed):
        agent(routing, "agent-2", ["x" * 51])
    with pytest.raises(PermissionDenied):
        routing.set_required_skill(AGENT, CaseType.COMPLAINT, "quality")
    assert store.agents["agent-1"].available is True
    assert list(store.agents) == ["agent-1"]
