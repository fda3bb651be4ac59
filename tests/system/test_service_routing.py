"""Routing through the real gateway, with real tokens: a service team with its manager and
agents, the skill after-sales cases require; a new case goes to the available skilled agent
with room, the next in turn, and waits in the unassigned queue when nobody is free until a
manager routes it again; a manager reassigns by hand; agents change only their availability."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from crm_platform.testing.servers import PostgresServer, RabbitServer

from tests.system.stack import Stack, running_stack
from tests.system.test_security import (
    STAFF_PASSWORD,
    assert_problem,
    auth,
    claims,
    new_account,
    staff_user,
)


@pytest.fixture(scope="module")
def stack(
    postgres_instance: PostgresServer | str,
    rabbit_instance: RabbitServer | str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Stack]:
    """A system of this module's own: the skill a case type requires routes every
    module's cases."""
    yield from running_stack(postgres_instance, rabbit_instance, tmp_path_factory)


@pytest.fixture
def api(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.api, timeout=10) as client:
        yield client


def put_agent(api: httpx.Client, token: str, user_id: str, **body: Any) -> httpx.Response:
    return api.put(f"/api/v1/service/agents/{user_id}", json=body, headers=auth(token))


def open_after_sales(api: httpx.Client, token: str) -> dict[str, Any]:
    opened = api.post(
        "/api/v1/service/cases",
        json={
            "type": "after_sales",
            "subject": "Drawer stuck",
            "contact_phone": "+86 21 5555 0199",
        },
        headers=auth(token),
    )
    assert opened.status_code == 201, opened.text
    case: dict[str, Any] = opened.json()
    return case


def test_cases_are_routed_by_skill_in_turn_and_queued_when_nobody_is_free(
    api: httpx.Client, stack: Stack
) -> None:

    manager = staff_user(api, stack, "manager")
    agents = [stack.token(new_account(api, stack, "service_agent"), STAFF_PASSWORD) for _ in "abc"]
    fixer, other_fixer, clerk = (claims(token)["sub"] for token in agents)
    team = api.post(
        "/api/v1/service/teams",
        json={"name": f"Aftercare {uuid.uuid4().hex[:6]}", "manager_id": claims(manager)["sub"]},
        headers=auth(manager),
    )
    assert team.status_code == 201, team.text
    for user, skills in ((fixer, ["repairs"]), (other_fixer, ["repairs"]), (clerk, ["billing"])):
        body = {"team_id": team.json()["id"], "skills": skills, "capacity": 1, "available": True}
        assert put_agent(api, manager, user, **body).status_code == 200
    required = api.put(
        "/api/v1/service/required-skills/after_sales", json={"skill": "repairs"},
        headers=auth(manager),
    )  # fmt: skip
    assert required.status_code == 200, required.text
    assert {"case_type": "after_sales", "skill": "repairs"} in required.json()["required"]

    first, second, third = (open_after_sales(api, manager) for _ in range(3))

    assert {first["owner_id"], second["owner_id"]} == {fixer, other_fixer}
    assert first["status"] == "assigned"
    assert (third["owner_id"], third["status"]) == (None, "new")  # both fixers are at capacity
    queue = api.get("/api/v1/service/cases?unassigned=true", headers=auth(agents[2])).json()
    assert third["id"] in [case["id"] for case in queue["items"]]
    path = f"/api/v1/service/cases/{third['id']}"
    assert_problem(api.post(f"{path}/route", json={}, headers=auth(manager)), 409)

    owner_token = agents[0] if first["owner_id"] == fixer else agents[1]
    step = f"/api/v1/service/cases/{first['id']}"
    resolved = api.post(f"{step}/resolve", json={"resolution": "Oiled"}, headers=auth(owner_token))
    assert resolved.status_code == 200, resolved.text
    routed = api.post(f"{path}/route", json={}, headers=auth(manager))
    assert routed.status_code == 200, routed.text
    assert routed.json()["owner_id"] == first["owner_id"]

    moved = api.post(f"{path}/assign", json={"owner_id": clerk}, headers=auth(manager))
    assert moved.status_code == 200, moved.text
    assert moved.json()["owner_id"] == clerk
    listed = api.get(
        f"/api/v1/service/agents?team_id={team.json()['id']}", headers=auth(manager)
    ).json()
    # the first is resolved and the third went on to the clerk: the second is all they hold
    assert {agent["user_id"]: agent["open_cases"] for agent in listed["agents"]} == {
        first["owner_id"]: 0, second["owner_id"]: 1, clerk: 1,
    }  # fmt: skip


def test_agents_set_only_their_own_availability(api: httpx.Client, stack: Stack) -> None:
    manager = staff_user(api, stack, "manager")
    agent = staff_user(api, stack, "service_agent")
    agent_id = claims(agent)["sub"]
    assert put_agent(api, manager, agent_id, skills=["billing"], capacity=3).status_code == 200
    assert_problem(put_agent(api, agent, agent_id, capacity=99), 403)
    away = api.post(
        f"/api/v1/service/agents/{agent_id}/availability", json={"available": False},
        headers=auth(agent),
    )  # fmt: skip
    assert away.status_code == 200, away.text
    assert (away.json()["available"], away.json()["capacity"]) == (False, 3)
    bad = assert_problem(put_agent(api, manager, agent_id, capacity=-1), 422)
    assert [error["field"] for error in bad["errors"]] == ["capacity"]
