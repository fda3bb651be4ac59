"""Calls over real gRPC on PostgreSQL and SQLite: the telephony system's call (its machine
client, scope service:calls) recognizes the caller by phone from the contact copy and opens a
phone case for them; their next call joins that open case; each is an internal note and a
CallLogged in the outbox. A number that is none, or a client without the scope, changes
nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import grpc
import pytest
from crm_platform.grpc_errors import details_of
from crm_platform.testing.tokens import service_token, staff_token
from crm_proto.crm.service.v1 import cases_pb2 as C
from crm_proto.crm.service.v1 import cases_pb2_grpc, events_pb2
from crm_service.domain.contacts import CustomerContact
from sqlalchemy import Engine

from tests.customer.integration.support import outbox_events, row_count
from tests.service.integration.conftest import unit_of_work
from tests.service.integration.test_cases_grpc import call, refused

pytestmark = pytest.mark.integration

TELEPHONY = service_token("service:calls", subject="telephony")
AGENT = staff_token("service_agent", subject="agent-1")


def test_calls_open_a_phone_case_for_the_caller_then_join_it(
    engine: Engine, stub: cases_pb2_grpc.CaseServiceStub
) -> None:
    customer_id = uuid.uuid4()
    with unit_of_work(engine)() as uow:
        uow.contacts.put(CustomerContact(customer_id, "Qian Li", "qian@example.cn",
                                         "+8613800138000", None, None, datetime.now(UTC),
                                         False, None, 1))  # fmt: skip
        uow.commit()
    first = call(stub.LogCall, C.LogCallRequest(
        phone="+86 138-0013-8000", direction=C.CALL_DIRECTION_INBOUND, duration_seconds=200,
        recording_url="https://pbx.example.cn/r/1.mp3"), TELEPHONY)  # fmt: skip
    assert first.opened
    assert (first.case.channel, first.case.recognition, first.case.customer_id) == (
        C.CASE_CHANNEL_PHONE, C.CUSTOMER_RECOGNITION_RETURNING, str(customer_id),
    )  # fmt: skip
    second = call(stub.LogCall, C.LogCallRequest(
        phone="+8613800138000", direction=C.CALL_DIRECTION_OUTBOUND, duration_seconds=45),
        TELEPHONY)  # fmt: skip
    assert (second.opened, second.case.id) == (False, first.case.id)
    case = call(stub.GetCase, C.GetCaseRequest(id=first.case.id), AGENT)
    assert [(m.body, m.internal) for m in case.messages] == [
        ("Inbound call from +8613800138000, 3 min 20 s "
         "(recording: https://pbx.example.cn/r/1.mp3)", True),
        ("Outbound call to +8613800138000, 45 s", True),
    ]  # fmt: skip
    logged = [
        event.message
        for event in outbox_events(engine)
        if isinstance(event.message, events_pb2.CallLogged)
    ]
    assert [(e.call_id, e.customer_id, e.duration_seconds) for e in logged] == [
        (first.call_id, str(customer_id), 200), (second.call_id, str(customer_id), 45),
    ]  # fmt: skip
    assert logged[0].actor.subject == "telephony"


def test_a_number_that_is_none_or_a_client_without_the_scope_changes_nothing(
    engine: Engine, stub: cases_pb2_grpc.CaseServiceStub
) -> None:
    error = refused(stub.LogCall, C.LogCallRequest(
        phone="call me", direction=C.CALL_DIRECTION_INBOUND), TELEPHONY)  # fmt: skip
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert [v.field for v in details_of(error).violations] == ["phone"]
    error = refused(stub.LogCall, C.LogCallRequest(
        phone="+8613800138000", direction=C.CALL_DIRECTION_INBOUND),
        service_token("customers:read"))  # fmt: skip
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED
    assert row_count(engine, "cases") == 0
