"""Service agreements over real gRPC (PostgreSQL and SQLite): managers set them, staff read
them, bad terms are INVALID_ARGUMENT naming the fields and change nothing; a case opened for
the customer falls under theirs and its answer shows the clocks, which a customer never sees."""

from __future__ import annotations

import uuid

import grpc
import pytest
from crm_platform.grpc_errors import details_of
from crm_proto.crm.service.v1 import cases_pb2, cases_pb2_grpc, sla_pb2, sla_pb2_grpc
from crm_service.domain.cases import CustomerRecognition, Recognized

from tests.service.integration.conftest import KnownContacts
from tests.service.integration.test_cases_grpc import (
    ADMIN,
    AGENT,
    CUSTOMER,
    CUSTOMER_ID,
    call,
    open_for,
    refused,
)

pytestmark = pytest.mark.integration

S, C = sla_pb2, cases_pb2
SHANGHAI = S.WorkingCalendar(
    timezone="Asia/Shanghai", hours="mon-fri 09:00-12:00,13:00-18:00", holiday_country="CN"
)


def gold(customer_id: uuid.UUID = CUSTOMER_ID, **fields: object) -> S.CreateAgreementRequest:
    request = S.CreateAgreementRequest(
        customer_id=str(customer_id),
        name="Gold support",
        targets=[
            S.SlaTarget(first_response_minutes=120, resolution_minutes=960),
            S.SlaTarget(
                priority=C.CASE_PRIORITY_HIGH, first_response_minutes=30, resolution_minutes=480
            ),
        ],
        calendar=SHANGHAI,
    )
    for name, value in fields.items():
        setattr(request, name, value)
    return request


def test_managers_set_agreements_and_staff_read_them(
    agreements: sla_pb2_grpc.AgreementServiceStub,
) -> None:
    customer_id = uuid.uuid4()
    created = call(agreements.CreateAgreement, gold(customer_id), ADMIN)
    assert (created.version, created.calendar.hours) == (1, "mon 09:00-12:00,13:00-18:00; "
        "tue 09:00-12:00,13:00-18:00; wed 09:00-12:00,13:00-18:00; thu 09:00-12:00,13:00-18:00; "
        "fri 09:00-12:00,13:00-18:00")  # fmt: skip
    duplicate = refused(agreements.CreateAgreement, gold(customer_id), ADMIN)
    assert duplicate.code() is grpc.StatusCode.ALREADY_EXISTS

    changed = call(
        agreements.UpdateAgreement,
        S.UpdateAgreementRequest(
            id=created.id, name="Platinum", targets=created.targets, calendar=created.calendar,
            expected_version=1,
        ),
        ADMIN,
    )  # fmt: skip
    assert (changed.name, changed.version) == ("Platinum", 2)
    stale = S.UpdateAgreementRequest(
        id=created.id, name="Silver", targets=created.targets, calendar=created.calendar,
        expected_version=1,
    )  # fmt: skip
    assert refused(agreements.UpdateAgreement, stale, ADMIN).code() is grpc.StatusCode.ABORTED

    listed = call(
        agreements.ListAgreements, S.ListAgreementsRequest(customer_id=str(customer_id)), AGENT
    )
    assert [agreement.name for agreement in listed.agreements] == ["Platinum"]
    denied = refused(agreements.CreateAgreement, gold(uuid.uuid4()), AGENT)
    assert denied.code() is grpc.StatusCode.PERMISSION_DENIED


def test_bad_terms_name_their_fields_and_change_nothing(
    agreements: sla_pb2_grpc.AgreementServiceStub,
) -> None:
    customer_id = uuid.uuid4()
    bad = gold(customer_id)
    del bad.targets[0]  # no fallback target
    bad.calendar.timezone = "Mars/Olympus"
    bad.calendar.holiday_country = "ZZ"
    error = refused(agreements.CreateAgreement, bad, ADMIN)
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
    fields = {violation.field for violation in details_of(error).violations}
    assert {"policy.targets", "calendar.timezone"} <= fields
    unknown_country = gold(customer_id)
    unknown_country.calendar.holiday_country = "ZZ"
    error = refused(agreements.CreateAgreement, unknown_country, ADMIN)
    assert [v.field for v in details_of(error).violations] == ["calendar.holiday_country"]
    listed = call(
        agreements.ListAgreements, S.ListAgreementsRequest(customer_id=str(customer_id)), ADMIN
    )
    assert list(listed.agreements) == []


def test_a_case_shows_the_clocks_of_its_customers_agreement_to_staff_only(
    agreements: sla_pb2_grpc.AgreementServiceStub,
    stub: cases_pb2_grpc.CaseServiceStub,
    customers: KnownContacts,
) -> None:
    customers["qian@example.cn"] = Recognized(CustomerRecognition.RETURNING, CUSTOMER_ID)
    agreement = call(agreements.CreateAgreement, gold(), ADMIN)

    case = open_for(stub)

    clocks = {clock.kind: clock for clock in case.sla_clocks}
    first = clocks[C.SLA_CLOCK_KIND_FIRST_RESPONSE]
    assert (first.target_minutes, first.agreement_id) == (30, agreement.id)  # high priority
    assert first.state == C.SLA_CLOCK_STATE_ONGOING
    assert first.running
    assert first.HasField("target_at")
    assert clocks[C.SLA_CLOCK_KIND_RESOLUTION].target_minutes == 480
    own = call(stub.GetCase, C.GetCaseRequest(id=case.id), CUSTOMER)
    assert list(own.sla_clocks) == []
