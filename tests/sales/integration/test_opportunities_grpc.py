"""The opportunity service over real gRPC, on PostgreSQL and SQLite: a deal's lifecycle with
its events, the board's and the weighted pipeline's exact sums, who sees what, stale versions
and bad input."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import grpc
import pytest
from crm_platform.access import policy_of
from crm_platform.db import ping
from crm_platform.grpc_errors import ErrorDetails, details_of
from crm_platform.testing.grpc_servers import serving
from crm_platform.testing.tokens import bearer, partner_token, staff_token
from crm_proto.crm.common.v1 import common_pb2
from crm_proto.crm.sales.v1 import events_pb2, opportunities_pb2, opportunities_pb2_grpc
from crm_sales.entrypoints import opportunities_api
from crm_sales.service_layer.opportunities import OpportunityHandlers
from crm_sales.service_layer.ports import CustomerStanding
from sqlalchemy import Engine

from tests.customer.integration.support import outbox_events, row_count
from tests.sales.integration.conftest import KnownCustomers, unit_of_work

Pb = opportunities_pb2
CUSTOMER_ID = str(uuid.uuid4())
BLACKLISTED_ID = str(uuid.uuid4())
PARTNER_ID = str(uuid.uuid4())
REP = staff_token("sales_rep", subject="rep-1")
OTHER_REP = staff_token("sales_rep", subject="rep-2")
ADMIN = staff_token("admin", subject="admin-1")
PARTNER = partner_token(PARTNER_ID)
Stub = opportunities_pb2_grpc.OpportunityServiceStub


@pytest.fixture
def stub(engine: Engine, customers: KnownCustomers) -> Iterator[Stub]:
    customers[uuid.UUID(CUSTOMER_ID)] = CustomerStanding.ACTIVE
    customers[uuid.UUID(BLACKLISTED_ID)] = CustomerStanding.BLACKLISTED
    handlers = OpportunityHandlers(unit_of_work(engine), customers)
    policy = policy_of(opportunities_api.SERVICE)
    bindings = [opportunities_api.binding(handlers)]
    with serving(bindings, policy, database=lambda: ping(engine)) as target:
        channel = grpc.insecure_channel(target)
        grpc.channel_ready_future(channel).result(timeout=10)
        try:
            yield Stub(channel)
        finally:
            channel.close()


def call(stub: Stub, method: str, token: str, request: Any) -> Any:
    return getattr(stub, method)(request, metadata=bearer(token), timeout=10)


def refused(stub: Stub, method: str, token: str, request: Any) -> ErrorDetails:
    with pytest.raises(grpc.RpcError) as error:
        call(stub, method, token, request)
    return details_of(error.value)


def money(amount: str, currency: str = "EUR") -> common_pb2.Money:
    return common_pb2.Money(currency_code=currency, amount=amount)


def create(stub: Stub, token: str = REP, **fields: Any) -> Any:
    fields.setdefault("customer_id", CUSTOMER_ID)
    fields.setdefault("title", "Office furniture")
    return call(stub, "CreateOpportunity", token, Pb.CreateOpportunityRequest(**fields))


def test_a_deal_is_moved_lost_restored_and_won_with_an_event_each(
    stub: Stub, engine: Engine
) -> None:
    deal = create(
        stub,
        amount=money("1200.50"),
        contacts=[
            Pb.OpportunityContact(
                name="Li Wei", email="li@example.com", role=Pb.CONTACT_ROLE_DECISION_MAKER
            )
        ],
    )
    assert (deal.stage, deal.probability, deal.owner_id) == (
        Pb.OPPORTUNITY_STAGE_PROSPECTING,
        "10.00",
        "rep-1",
    )
    moved = call(
        stub, "MoveOpportunityStage", REP,
        Pb.MoveOpportunityStageRequest(
            id=deal.id, expected_version=1, stage=Pb.OPPORTUNITY_STAGE_PROPOSAL
        ),
    )  # fmt: skip
    assert (moved.probability, moved.version) == ("60.00", 2)
    lost = call(
        stub, "LoseOpportunity", REP,
        Pb.LoseOpportunityRequest(id=deal.id, reason=Pb.LOST_REASON_COMPETITOR, competitor="Acme"),
    )  # fmt: skip
    assert (lost.status, lost.probability, lost.lost_competitor) == (
        Pb.OPPORTUNITY_STATUS_LOST,
        "0.00",
        "Acme",
    )
    restored = call(stub, "RestoreOpportunity", REP, Pb.RestoreOpportunityRequest(id=deal.id))
    assert (restored.stage, restored.status) == (
        Pb.OPPORTUNITY_STAGE_PROPOSAL,
        Pb.OPPORTUNITY_STATUS_OPEN,
    )
    won = call(stub, "WinOpportunity", REP, Pb.WinOpportunityRequest(id=deal.id))
    assert (won.stage, won.probability, won.version) == (
        Pb.OPPORTUNITY_STAGE_CLOSED_WON,
        "100.00",
        5,
    )
    assert won.HasField("closed_at")
    again = refused(stub, "RestoreOpportunity", REP, Pb.RestoreOpportunityRequest(id=deal.id))
    assert again.code is grpc.StatusCode.FAILED_PRECONDITION
    assert row_count(engine, "win_models") >= 1  # the loss and the win were learnt

    events = [e.message for e in outbox_events(engine)]
    assert [type(e).__name__ for e in events] == [
        "OpportunityOpened",
        "OpportunityStageChanged",
        "OpportunityLost",
        "OpportunityRestored",
        "OpportunityWon",
    ]
    assert [e.version for e in events] == [1, 2, 3, 4, 5]  # type: ignore[attr-defined]
    assert all(e.actor.subject == "rep-1" for e in events)  # type: ignore[attr-defined]
    changed = events[1]
    assert isinstance(changed, events_pb2.OpportunityStageChanged)
    assert changed.to_stage == Pb.OPPORTUNITY_STAGE_PROPOSAL


def test_board_and_weighted_pipeline_sums_are_exact(stub: Stub) -> None:
    for amount in ("0.10", "0.20", "1000000000000.01"):
        create(stub, amount=money(amount))
    create(stub, amount=money("333.33", "CNY"))
    create(stub)  # no amount yet: counted, not summed
    board = call(stub, "GetPipelineBoard", REP, Pb.GetPipelineBoardRequest(cards_per_stage=2))
    prospecting = board.columns[0]
    assert prospecting.stage == Pb.OPPORTUNITY_STAGE_PROSPECTING
    assert prospecting.count == 5
    assert {(t.currency_code, t.amount) for t in prospecting.totals} == {
        ("CNY", "333.33"),
        ("EUR", "1000000000000.31"),
    }
    assert len(prospecting.cards) == 2
    assert [c.count for c in board.columns[1:]] == [0] * 6

    weighted = call(stub, "GetWeightedPipeline", REP, Pb.GetWeightedPipelineRequest())
    # 10 % of 1000000000000.31 is 100000000000.031: rounded half up once, at the end
    assert {(t.currency_code, t.amount) for t in weighted.totals} == {
        ("CNY", "33.33"),
        ("EUR", "100000000000.03"),
    }
    assert Decimal(weighted.stages[0].weighted[1].amount) == Decimal("100000000000.03")


def test_another_rep_sees_nothing_and_a_partner_only_their_partners(stub: Stub) -> None:
    deal = create(stub)
    missing = refused(stub, "GetOpportunity", OTHER_REP, Pb.GetOpportunityRequest(id=deal.id))
    assert missing.code is grpc.StatusCode.NOT_FOUND
    listed = call(stub, "ListOpportunities", OTHER_REP, Pb.ListOpportunitiesRequest())
    assert list(listed.opportunities) == []
    assert (
        refused(stub, "GetOpportunity", PARTNER, Pb.GetOpportunityRequest(id=deal.id)).code
        is grpc.StatusCode.NOT_FOUND
    )
    call(
        stub, "AssignOpportunity", ADMIN,
        Pb.AssignOpportunityRequest(id=deal.id, owner_id="rep-1", partner_id=PARTNER_ID),
    )  # fmt: skip
    seen = call(stub, "ListOpportunities", PARTNER, Pb.ListOpportunitiesRequest())
    assert [o.id for o in seen.opportunities] == [deal.id]
    moved = call(
        stub, "MoveOpportunityStage", PARTNER,
        Pb.MoveOpportunityStageRequest(id=deal.id, stage=Pb.OPPORTUNITY_STAGE_QUALIFICATION),
    )  # fmt: skip
    assert moved.probability == "20.00"
    denied = refused(stub, "WinOpportunity", PARTNER, Pb.WinOpportunityRequest(id=deal.id))
    assert denied.code is grpc.StatusCode.PERMISSION_DENIED


def test_stale_version_and_bad_input_change_nothing(stub: Stub, engine: Engine) -> None:
    deal = create(stub)
    stale = refused(
        stub, "MoveOpportunityStage", REP,
        Pb.MoveOpportunityStageRequest(
            id=deal.id, expected_version=7, stage=Pb.OPPORTUNITY_STAGE_PROPOSAL
        ),
    )  # fmt: skip
    assert stale.code is grpc.StatusCode.ABORTED
    bad = refused(
        stub, "LoseOpportunity", REP,
        Pb.LoseOpportunityRequest(id=deal.id, reason=Pb.LOST_REASON_COMPETITOR),
    )  # fmt: skip
    assert bad.code is grpc.StatusCode.INVALID_ARGUMENT
    assert [v.field for v in bad.violations] == ["competitor"]
    unknown = refused(
        stub, "CreateOpportunity", REP,
        Pb.CreateOpportunityRequest(customer_id=str(uuid.uuid4()), title="x"),
    )  # fmt: skip
    assert (unknown.code, [v.field for v in unknown.violations]) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        ["customer_id"],
    )
    blacklisted = refused(
        stub, "CreateOpportunity", REP,
        Pb.CreateOpportunityRequest(customer_id=BLACKLISTED_ID, title="x"),
    )  # fmt: skip
    assert blacklisted.code is grpc.StatusCode.FAILED_PRECONDITION
    after = call(stub, "GetOpportunity", REP, Pb.GetOpportunityRequest(id=deal.id))
    assert (after.version, after.stage) == (1, Pb.OPPORTUNITY_STAGE_PROSPECTING)
    assert row_count(engine, "opportunities") == 1
