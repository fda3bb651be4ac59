"""The care job on PostgreSQL and SQLite: customers (the contact copy) born or become
customers on the day get one care task each for their owner, with a CareDue; a second run
makes none, 29 February's birthday falls on the 28th in other years; an owner lists their own
tasks over gRPC, another owner's is for managers."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import grpc
import pytest
from crm_platform import context
from crm_platform.testing.tokens import staff_token
from crm_proto.crm.service.v1 import care_pb2 as S
from crm_proto.crm.service.v1 import care_pb2_grpc, events_pb2
from crm_service.domain.contacts import CustomerContact
from crm_service.entrypoints.care_command import CARE_JOB
from crm_service.service_layer.care import CareHandlers
from sqlalchemy import Engine

from tests.customer.integration.support import outbox_events
from tests.service.integration.conftest import unit_of_work
from tests.service.integration.test_cases_grpc import call, refused

pytestmark = pytest.mark.integration

OWNER = str(uuid.uuid4())
DAY = date(2027, 2, 28)


def contact(
    name: str, born: date | None, since: datetime, owner: str | None = OWNER
) -> CustomerContact:
    return CustomerContact(uuid.uuid4(), name, "", "", born, owner, since, False, None, 1)


def test_the_care_job_makes_each_task_once_for_the_owner(
    engine: Engine, channel: grpc.Channel
) -> None:
    uow = unit_of_work(engine)
    people = [
        contact("Born today", date(1990, 2, 28), datetime(2026, 5, 1, tzinfo=UTC)),
        contact("Leap born", date(2000, 2, 29), datetime(2026, 5, 1, tzinfo=UTC)),
        contact("Customer since", None, datetime(2024, 2, 28, 10, tzinfo=UTC)),
        contact("Not today", date(1990, 3, 1), datetime(2026, 3, 1, tzinfo=UTC)),
        contact("Joined this year", None, datetime(2027, 2, 28, tzinfo=UTC)),
    ]
    with uow() as writing:
        for person in people:
            writing.contacts.put(person)
        writing.commit()

    care = CareHandlers(uow, clock=lambda: datetime(2027, 2, 28, 6, tzinfo=UTC))
    with context.acting_as(CARE_JOB):
        assert care.run(DAY) == 3
        assert care.run(DAY) == 0  # a second run, as a retried CronJob

    stub = care_pb2_grpc.CareServiceStub(channel)
    mine = call(stub.ListCareTasks, S.ListCareTasksRequest(),
                staff_token("sales_rep", subject=OWNER)).tasks  # fmt: skip
    assert sorted((t.customer_name, t.occasion, t.years, t.due_on) for t in mine) == [
        ("Born today", S.CARE_OCCASION_BIRTHDAY, 37, "2027-02-28"),
        ("Customer since", S.CARE_OCCASION_ANNIVERSARY, 3, "2027-02-28"),
        ("Leap born", S.CARE_OCCASION_BIRTHDAY, 27, "2027-02-28"),
    ]
    managed = call(stub.ListCareTasks, S.ListCareTasksRequest(owner_id=OWNER),
                   staff_token("manager", subject="manager-1")).tasks  # fmt: skip
    assert len(managed) == 3
    error = refused(stub.ListCareTasks, S.ListCareTasksRequest(owner_id=OWNER),
                    staff_token("sales_rep", subject="rep-2"))  # fmt: skip
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED
    due = [e for e in outbox_events(engine) if isinstance(e.message, events_pb2.CareDue)]
    assert len(due) == 3
    assert {e.message.actor.subject for e in due} == {"service-care"}
    assert {e.subject for e in due} == {str(p.customer_id) for p in people[:3]}
