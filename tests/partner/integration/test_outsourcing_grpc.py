"""Outsourcing over a real gRPC server and database: suggestions nearest first, a decline and
a timeout (the deadlines role's look on the moved clock) offering the work on, the partner's
acceptance, each step an event in the outbox with its actor and version; a partner user sees
and answers only their own partner's work; bad input is INVALID_ARGUMENT with the fields."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import grpc
import pytest
import sqlalchemy as sa
from crm_partner.domain.values import Actor, ActorKind
from crm_partner.service_layer.outsourcing import OutsourcingHandlers
from crm_platform.grpc_errors import details_of
from crm_platform.tables import outbox
from crm_platform.testing.tokens import bearer, partner_token, staff_token
from crm_proto.crm.partner.v1 import partner_pb2 as P
from crm_proto.crm.partner.v1 import partner_pb2_grpc
from sqlalchemy import Engine

from tests.partner.integration.conftest import ANSWER_MINUTES, Clock

MANAGER = bearer(staff_token("manager", subject="manager-1"))
DEADLINES = Actor("partner-deadlines", ActorKind.SERVICE)


def add(stub: partner_pb2_grpc.PartnerServiceStub, name: str, city: str, **fields: Any) -> str:
    created = stub.CreatePartner(
        P.CreatePartnerRequest(
            name=name, capabilities=["printing"], capacity=2, tier=P.PARTNER_TIER_GOLD,
            rating="4.5", location=P.Place(country_code="CN", city=city), **fields,
        ),
        metadata=MANAGER,
    )  # fmt: skip
    assert created.location.located
    return created.id


def test_work_goes_on_after_a_decline_and_a_timeout_until_a_partner_accepts(
    stub: partner_pb2_grpc.PartnerServiceStub,
    outsourcing: OutsourcingHandlers,
    clock: Clock,
    engine: Engine,
) -> None:
    shanghai, hangzhou = add(stub, "Shanghai", "Shanghai"), add(stub, "Hangzhou", "Hangzhou")
    beijing = add(stub, "Beijing", "Beijing")
    add(stub, "Rival", "Shanghai", competitor=True)
    place = P.Place(country_code="CN", city="Shanghai")

    suggested = stub.ListSuggestions(
        P.ListSuggestionsRequest(capabilities=["printing"], place=place), metadata=MANAGER
    )
    offered = stub.OutsourceWork(
        P.OutsourceWorkRequest(
            work_kind=P.WORK_KIND_ORDER, work_id=str(uuid.uuid4()), capabilities=["printing"],
            place=place,
        ),
        metadata=MANAGER,
    )  # fmt: skip
    declined = stub.DeclineAssignment(
        P.AnswerAssignmentRequest(id=offered.id, reason="booked"),
        metadata=bearer(partner_token(shanghai)),
    )
    clock.offset = timedelta(minutes=ANSWER_MINUTES + 1)
    assert outsourcing.expire_due(DEADLINES) == 1
    assert outsourcing.expire_due(DEADLINES) == 0  # a second look finds nothing due
    accepted = stub.AcceptAssignment(
        P.AnswerAssignmentRequest(id=offered.id), metadata=bearer(partner_token(beijing))
    )

    # the nearest radius holding a partner: the others are further than 25 km
    assert [s.partner.id for s in suggested.suggestions] == [shanghai]
    assert suggested.radius_km == 25
    assert offered.partner_id == shanghai
    assert declined.partner_id == hangzhou
    assert (accepted.state, accepted.partner_id) == (P.ASSIGNMENT_STATE_ACCEPTED, beijing)
    assert [o.answer for o in accepted.offers] == [
        P.OFFER_ANSWER_DECLINED, P.OFFER_ANSWER_EXPIRED, P.OFFER_ANSWER_ACCEPTED,
    ]  # fmt: skip
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(outbox.c.event_type)
            .where(outbox.c.subject == offered.id)
            .order_by(outbox.c.seq)
        ).scalars()
        assert list(rows) == [
            "crm.partner.v1.AssignmentOffered", "crm.partner.v1.AssignmentDeclined",
            "crm.partner.v1.AssignmentOffered", "crm.partner.v1.AssignmentExpired",
            "crm.partner.v1.AssignmentOffered", "crm.partner.v1.AssignmentAccepted",
        ]  # fmt: skip


def test_a_partner_user_sees_and_answers_only_their_own_partners_work(
    stub: partner_pb2_grpc.PartnerServiceStub,
) -> None:
    mine, other = add(stub, "Mine", "Shanghai"), add(stub, "Other", "Beijing")
    offered = stub.OutsourceWork(
        P.OutsourceWorkRequest(
            work_kind=P.WORK_KIND_LEAD, work_id=str(uuid.uuid4()), partner_id=mine
        ),
        metadata=MANAGER,
    )
    stranger = bearer(partner_token(other, subject="other-user"))

    for call in (
        lambda: stub.GetAssignment(P.GetAssignmentRequest(id=offered.id), metadata=stranger),
        lambda: stub.AcceptAssignment(P.AnswerAssignmentRequest(id=offered.id), metadata=stranger),
        lambda: stub.GetPartner(P.GetPartnerRequest(id=mine), metadata=stranger),
    ):
        with pytest.raises(grpc.RpcError) as refused:
            call()
        assert refused.value.code() is grpc.StatusCode.NOT_FOUND
    listed = stub.ListAssignments(P.ListAssignmentsRequest(), metadata=stranger)
    assert listed.assignments == []
    own = stub.ListAssignments(P.ListAssignmentsRequest(), metadata=bearer(partner_token(mine)))
    assert [a.id for a in own.assignments] == [offered.id]


def test_bad_input_names_the_fields_and_outsources_nothing(
    stub: partner_pb2_grpc.PartnerServiceStub,
) -> None:
    work_id = str(uuid.uuid4())
    with pytest.raises(grpc.RpcError) as refused:
        stub.OutsourceWork(
            P.OutsourceWorkRequest(work_id=work_id, partner_id="nope"), metadata=MANAGER
        )
    with pytest.raises(grpc.RpcError) as no_partner:
        stub.OutsourceWork(
            P.OutsourceWorkRequest(work_kind=P.WORK_KIND_ORDER, work_id=work_id), metadata=MANAGER
        )

    assert refused.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert {v.field for v in details_of(refused.value).violations} == {"work_kind", "partner_id"}
    assert no_partner.value.code() is grpc.StatusCode.FAILED_PRECONDITION
    listed = stub.ListAssignments(P.ListAssignmentsRequest(work_id=work_id), metadata=MANAGER)
    assert listed.assignments == []
