"""Cases over real gRPC on PostgreSQL and SQLite: opened for a recognized contact or by the
customer themselves, worked through the workflow with its events in the outbox, the
conversation with internal notes hidden from the customer, who sees what (their queue, their
team, the unassigned queue), and bad input, refusals and the customer service down changing
nothing."""

from __future__ import annotations

import uuid
from typing import Any

import grpc
import pytest
from crm_platform.grpc_errors import details_of
from crm_platform.testing.tokens import bearer, customer_token, staff_token
from crm_proto.crm.service.v1 import (
    cases_pb2,
    cases_pb2_grpc,
    events_pb2,
    routing_pb2,
    routing_pb2_grpc,
)
from crm_service.domain.cases import CustomerRecognition, Recognized
from sqlalchemy import Engine

from tests.customer.integration.support import outbox_events
from tests.service.integration.conftest import KnownContacts

C, R = cases_pb2, routing_pb2
AGENT = staff_token("service_agent", subject="agent-1")
TEAMMATE = staff_token("service_agent", subject="agent-2")
STRANGER = staff_token("service_agent", subject="agent-9")
ANALYST = staff_token("analyst", subject="analyst-1")
ADMIN = staff_token("admin", subject="admin-1")
REP = staff_token("sales_rep", subject="rep-1")
CUSTOMER_ID = uuid.uuid4()
CUSTOMER = customer_token(str(CUSTOMER_ID))
OTHER_CUSTOMER = customer_token(str(uuid.uuid4()))


def call(rpc: Any, request: Any, token: str) -> Any:
    return rpc(request, metadata=bearer(token), timeout=10)


def refused(rpc: Any, request: Any, token: str) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as error:
        call(rpc, request, token)
    return error.value


def open_for(stub: cases_pb2_grpc.CaseServiceStub, token: str = AGENT, **fields: Any) -> C.Case:
    fields = {"contact_email": "qian@example.cn", **fields}
    request = C.OpenCaseRequest(
        type=C.CASE_TYPE_COMPLAINT,
        priority=C.CASE_PRIORITY_HIGH,
        subject="Sofa arrived scratched",
        order_ref="SO-1001",
        **fields,
    )
    return call(stub.OpenCase, request, token)


def test_a_case_is_worked_from_open_to_closed_with_its_events(
    stub: cases_pb2_grpc.CaseServiceStub, customers: KnownContacts, engine: Engine
) -> None:
    customers["qian@example.cn"] = Recognized(CustomerRecognition.RETURNING, CUSTOMER_ID)
    case = open_for(stub, channel=C.CASE_CHANNEL_PHONE)
    assert (case.status, case.channel, case.recognition, case.customer_id) == (
        C.CASE_STATUS_NEW,
        C.CASE_CHANNEL_PHONE,
        C.CUSTOMER_RECOGNITION_RETURNING,
        str(CUSTOMER_ID),
    )
    assert case.reference.startswith("CS-")

    case = call(stub.AssignCase, C.AssignCaseRequest(id=case.id, owner_id="agent-1"), AGENT)
    case = call(stub.StartCase, C.CaseStepRequest(id=case.id, expected_version=2), AGENT)
    case = call(
        stub.AddCaseMessage,
        C.AddCaseMessageRequest(id=case.id, body="Escalate to the carrier", internal=True),
        AGENT,
    )
    case = call(
        stub.AddCaseMessage,
        C.AddCaseMessageRequest(id=case.id, body="A new cover is on its way"),
        AGENT,
    )
    assert case.HasField("first_response_at")
    case = call(stub.ResolveCase, C.ResolveCaseRequest(id=case.id, resolution="Cover"), AGENT)
    case = call(stub.CloseCase, C.CaseStepRequest(id=case.id), AGENT)
    assert (case.status, case.version, len(case.messages)) == (C.CASE_STATUS_CLOSED, 7, 2)

    seen = call(stub.GetCase, C.GetCaseRequest(id=case.id), CUSTOMER)
    assert [m.body for m in seen.messages] == ["A new cover is on its way"]
    published = [event.message for event in outbox_events(engine)]
    assert [type(m).__name__ for m in published] == [
        "CaseOpened", "CaseAssigned", "CaseStatusChanged", "CaseMessageAdded",
        "CaseMessageAdded", "CaseStatusChanged", "CaseStatusChanged",
    ]  # fmt: skip
    assert [m.version for m in published] == [1, 2, 3, 4, 5, 6, 7]
    assert all(m.actor.subject == "agent-1" for m in published)
    note = published[3]
    assert isinstance(note, events_pb2.CaseMessageAdded)
    assert (note.message.internal, note.customer_id) == (True, str(CUSTOMER_ID))


def test_a_customer_opens_and_answers_their_own_case(
    stub: cases_pb2_grpc.CaseServiceStub, engine: Engine
) -> None:
    case = open_for(stub, CUSTOMER, contact_email="")
    assert (case.channel, case.customer_id) == (C.CASE_CHANNEL_PORTAL, str(CUSTOMER_ID))
    call(stub.AssignCase, C.AssignCaseRequest(id=case.id, owner_id="agent-1"), AGENT)
    call(stub.StartCase, C.CaseStepRequest(id=case.id), AGENT)
    call(stub.WaitOnCustomer, C.CaseStepRequest(id=case.id), AGENT)

    answered = call(
        stub.AddCaseMessage, C.AddCaseMessageRequest(id=case.id, body="Here is a photo"), CUSTOMER
    )

    assert answered.status == C.CASE_STATUS_IN_PROGRESS
    mine = call(stub.ListCases, C.ListCasesRequest(), CUSTOMER)
    assert [c.id for c in mine.cases] == [case.id]
    assert call(stub.ListCases, C.ListCasesRequest(), OTHER_CUSTOMER).cases == []
    error = refused(stub.GetCase, C.GetCaseRequest(id=case.id), OTHER_CUSTOMER)
    assert error.code() == grpc.StatusCode.NOT_FOUND
    note = refused(
        stub.AddCaseMessage, C.AddCaseMessageRequest(id=case.id, body="x", internal=True), CUSTOMER
    )
    assert note.code() == grpc.StatusCode.PERMISSION_DENIED
    resumed = outbox_events(engine)[-1].message
    assert isinstance(resumed, events_pb2.CaseStatusChanged)
    assert (resumed.from_status, resumed.to_status, resumed.actor.kind) == (
        C.CASE_STATUS_WAITING_ON_CUSTOMER,
        C.CASE_STATUS_IN_PROGRESS,
        2,  # customer
    )


def test_agents_see_their_queue_their_team_and_the_unassigned(
    stub: cases_pb2_grpc.CaseServiceStub, routing: routing_pb2_grpc.RoutingServiceStub
) -> None:
    mine = open_for(stub)
    call(stub.AssignCase, C.AssignCaseRequest(id=mine.id, owner_id="agent-1"), AGENT)
    queued = open_for(stub)
    assert [c.id for c in call(stub.ListCases, C.ListCasesRequest(), TEAMMATE).cases] == [queued.id]
    error = refused(stub.GetCase, C.GetCaseRequest(id=mine.id), TEAMMATE)
    assert error.code() == grpc.StatusCode.NOT_FOUND
    team = call(
        routing.CreateTeam, R.CreateTeamRequest(name="Aftercare", manager_id="manager-1"), ADMIN
    )
    for agent in ("agent-1", "agent-2"):
        put = R.PutAgentRequest(user_id=agent, team_id=team.id, capacity=0, available=False)
        call(routing.PutAgent, put, ADMIN)

    seen = call(stub.ListCases, C.ListCasesRequest(), TEAMMATE)
    assert [c.id for c in seen.cases] == [queued.id, mine.id]
    queue = call(stub.ListCases, C.ListCasesRequest(unassigned=True), TEAMMATE)
    assert [c.id for c in queue.cases] == [queued.id]
    manager = staff_token("manager", subject="manager-1")
    assert len(call(stub.ListCases, C.ListCasesRequest(), manager).cases) == 2
    assert call(stub.ListCases, C.ListCasesRequest(), STRANGER).cases[0].id == queued.id
    assert len(call(stub.ListCases, C.ListCasesRequest(), ANALYST).cases) == 2
    first = call(stub.ListCases, C.ListCasesRequest(page={"page_size": 1}), ANALYST)
    rest = call(
        stub.ListCases,
        C.ListCasesRequest(page={"page_token": first.page.next_page_token}),
        ANALYST,
    )
    assert [c.id for c in (*first.cases, *rest.cases)] == [queued.id, mine.id]


def test_bad_input_refusals_and_the_customer_service_down_change_nothing(
    stub: cases_pb2_grpc.CaseServiceStub, customers: KnownContacts, engine: Engine
) -> None:
    bad = refused(stub.OpenCase, C.OpenCaseRequest(subject="", contact_email="nope"), AGENT)
    assert bad.code() == grpc.StatusCode.INVALID_ARGUMENT
    fields = [v.field for v in details_of(bad).violations]
    assert sorted(fields) == ["contact_email", "subject", "type"]
    no_contact = refused(
        stub.OpenCase, C.OpenCaseRequest(type=C.CASE_TYPE_INQUIRY, subject="Hours?"), AGENT
    )
    assert no_contact.code() == grpc.StatusCode.INVALID_ARGUMENT
    denied = refused(stub.OpenCase, C.OpenCaseRequest(type=1, subject="x"), REP)
    assert denied.code() == grpc.StatusCode.PERMISSION_DENIED
    customers.down = True
    down = refused(stub.OpenCase, C.OpenCaseRequest(type=1, subject="x", contact_phone="1"), AGENT)
    assert down.code() == grpc.StatusCode.UNAVAILABLE
    assert outbox_events(engine) == []
    customers.down = False

    case = open_for(stub)
    early = refused(stub.CloseCase, C.CaseStepRequest(id=case.id), AGENT)
    assert early.code() == grpc.StatusCode.FAILED_PRECONDITION
    stale = refused(
        stub.AssignCase,
        C.AssignCaseRequest(id=case.id, owner_id="agent-1", expected_version=5),
        AGENT,
    )
    assert stale.code() == grpc.StatusCode.ABORTED
    grab = refused(stub.AssignCase, C.AssignCaseRequest(id=case.id, owner_id="agent-2"), AGENT)
    assert grab.code() == grpc.StatusCode.PERMISSION_DENIED
    after = call(stub.GetCase, C.GetCaseRequest(id=case.id), AGENT)
    assert (after.status, after.version, after.owner_id) == (C.CASE_STATUS_NEW, 1, "")
    assert len(outbox_events(engine)) == 1
