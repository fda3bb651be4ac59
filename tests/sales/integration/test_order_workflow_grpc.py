"""One order walked from placed to closed over real gRPC, as staff and as its customer, on
PostgreSQL and SQLite: every step answers the order, writes an event with its actor and version
to the outbox, and a refused step changes nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import grpc
import pytest
import sqlalchemy as sa
from crm_platform.grpc_errors import ErrorDetails, details_of
from crm_platform.testing.tokens import bearer, customer_token, partner_token, staff_token
from crm_proto.crm.common.v1 import common_pb2
from crm_proto.crm.sales.v1 import events_pb2, sales_pb2, sales_pb2_grpc
from crm_sales.adapters import orm
from crm_sales.service_layer.ports import CustomerStanding
from sqlalchemy import Engine

from tests.customer.integration.support import outbox_events
from tests.sales.integration.conftest import KnownCustomers

CUSTOMER_ID = str(uuid.uuid4())
OTHER_CUSTOMER_ID = str(uuid.uuid4())
REP = staff_token("sales_rep", subject="rep-1")
OTHER_REP = staff_token("sales_rep", subject="rep-2")
MANAGER = staff_token("manager", subject="manager-1")
FINANCE = staff_token("finance", subject="finance-1")
ADMIN = staff_token("admin", subject="admin-1")
CUSTOMER = customer_token(CUSTOMER_ID)
OTHER_CUSTOMER = customer_token(OTHER_CUSTOMER_ID)
S = sales_pb2


def call(stub: sales_pb2_grpc.SalesServiceStub, method: str, token: str, **fields: Any) -> Any:
    rpc = getattr(stub, method)
    request_type = {
        "SendProposal": S.SendProposalRequest,
        "RequestRevision": S.RequestRevisionRequest,
        "PriceOrder": S.PriceOrderRequest,
        "CancelOrder": S.CancelOrderRequest,
        "PayMilestone": S.PayMilestoneRequest,
        "PlaceOrder": S.PlaceOrderRequest,
        "GetOrder": S.GetOrderRequest,
    }.get(method, S.OrderStepRequest)
    return rpc(request_type(**fields), metadata=bearer(token), timeout=10)


def refused(rpc: Any, token: str, request: Any) -> ErrorDetails:
    with pytest.raises(grpc.RpcError) as error:
        rpc(request, metadata=bearer(token), timeout=10)
    return details_of(error.value)


@pytest.fixture(autouse=True)
def known(customers: KnownCustomers) -> None:
    customers[uuid.UUID(CUSTOMER_ID)] = CustomerStanding.ACTIVE
    customers[uuid.UUID(OTHER_CUSTOMER_ID)] = CustomerStanding.ACTIVE


def test_an_order_goes_from_placed_to_closed_and_paid(
    stub: sales_pb2_grpc.SalesServiceStub, engine: Engine
) -> None:
    order = call(stub, "PlaceOrder", CUSTOMER, title="Spring campaign posters")
    assert (order.state, order.customer_id, order.version) == (S.ORDER_STATE_PLACED, CUSTOMER_ID, 1)
    oid = order.id

    call(stub, "ConfirmOrder", REP, id=oid)
    call(stub, "SendProposal", REP, id=oid, proposal="Three poster designs, A1")
    call(stub, "RequestRevision", CUSTOMER, id=oid, note="Bolder colours, please")
    call(stub, "SendProposal", REP, id=oid, proposal="Three bolder designs, A1")
    call(stub, "ApproveProposal", CUSTOMER, id=oid)
    priced = call(
        stub, "PriceOrder", MANAGER, id=oid,
        amount=common_pb2.Money(currency_code="CNY", amount="1000.00"),
    )  # fmt: skip
    assert priced.state == S.ORDER_STATE_PRICED
    call(stub, "SignContract", CUSTOMER, id=oid)
    signed = call(stub, "SignContract", REP, id=oid)
    assert signed.state == S.ORDER_STATE_CONTRACT_SIGNED
    amounts = [Decimal(m.amount.amount) for m in signed.milestones]
    assert amounts == [Decimal("100.00"), Decimal("250.00"), Decimal("100.00"), Decimal("550.00")]
    assert sum(amounts) == Decimal("1000.00")
    assert signed.milestones[3].due_date == ""  # due on acceptance, not known yet
    call(stub, "StartProduction", REP, id=oid)
    delivered = call(stub, "DeliverOrder", REP, id=oid)
    assert delivered.milestones[3].due_date != ""
    call(stub, "StartAfterSales", REP, id=oid)
    closed = call(stub, "CloseOrder", MANAGER, id=oid)
    for number in range(1, 5):
        paid = call(stub, "PayMilestone", FINANCE, id=oid, number=number, reference=f"TX-{number}")

    assert (closed.state, closed.revisions) == (S.ORDER_STATE_CLOSED, 1)
    assert all(m.HasField("paid_at") for m in paid.milestones)
    events = outbox_events(engine)
    types = [event.type.rsplit(".", 1)[-1] for event in events]
    assert types[0] == "OrderPlaced"
    assert types.count("OrderStepTaken") == 12  # every step after placing
    assert types.count("PaymentMilestonePaid") == 4
    assert types[-1] == "OrderPaid"
    versions = [event.message.version for event in events]  # type: ignore[attr-defined]
    assert versions == sorted(versions)
    placed = events[0].message
    assert isinstance(placed, events_pb2.OrderPlaced)
    assert placed.actor.kind == common_pb2.ACTOR_KIND_CUSTOMER


def test_who_may_take_a_step_and_see_an_order(
    stub: sales_pb2_grpc.SalesServiceStub, engine: Engine
) -> None:
    order = call(stub, "PlaceOrder", REP, customer_id=CUSTOMER_ID, title="Logo")
    assert order.owner_id == "rep-1"
    before = len(outbox_events(engine))

    step = S.OrderStepRequest(id=order.id)
    refusals = {
        # a customer may not confirm; another customer does not see it, nor does another rep
        "customer confirms": refused(stub.ConfirmOrder, CUSTOMER, step),
        "other customer": refused(stub.GetOrder, OTHER_CUSTOMER, S.GetOrderRequest(id=order.id)),
        "other rep": refused(stub.ConfirmOrder, OTHER_REP, step),
        "approve too early": refused(stub.ApproveProposal, CUSTOMER, step),
        "stale version": refused(
            stub.ConfirmOrder, REP, S.OrderStepRequest(id=order.id, expected_version=7)
        ),
    }

    assert {name: error.code for name, error in refusals.items()} == {
        "customer confirms": grpc.StatusCode.PERMISSION_DENIED,
        "other customer": grpc.StatusCode.NOT_FOUND,
        "other rep": grpc.StatusCode.NOT_FOUND,
        "approve too early": grpc.StatusCode.FAILED_PRECONDITION,
        "stale version": grpc.StatusCode.ABORTED,
    }
    assert call(stub, "GetOrder", CUSTOMER, id=order.id).version == 1
    assert len(outbox_events(engine)) == before


def test_an_order_for_an_unknown_merged_or_blacklisted_customer_is_refused(
    stub: sales_pb2_grpc.SalesServiceStub, engine: Engine, customers: KnownCustomers
) -> None:
    blacklisted, merged = uuid.uuid4(), uuid.uuid4()
    customers[blacklisted] = CustomerStanding.BLACKLISTED
    customers[merged] = CustomerStanding.MERGED

    refusals = [
        refused(stub.PlaceOrder, REP, S.PlaceOrderRequest(customer_id=str(who), title="Logo"))
        for who in (uuid.uuid4(), merged, blacklisted)
    ]

    assert [r.code for r in refusals] == [
        grpc.StatusCode.INVALID_ARGUMENT,
        grpc.StatusCode.FAILED_PRECONDITION,
        grpc.StatusCode.FAILED_PRECONDITION,
    ]
    assert [v.field for v in refusals[0].violations] == ["customer_id"]
    assert outbox_events(engine) == []


def test_an_outsourced_order_is_seen_by_its_partners_users_only(
    stub: sales_pb2_grpc.SalesServiceStub, engine: Engine
) -> None:
    partner_id, other_partner_id = str(uuid.uuid4()), str(uuid.uuid4())
    partner_user, other_partner_user = partner_token(partner_id), partner_token(other_partner_id)
    order = call(stub, "PlaceOrder", REP, customer_id=CUSTOMER_ID, title="Shop window")
    assign = S.AssignOrderPartnerRequest(id=order.id, partner_id=partner_id)
    get = S.GetOrderRequest(id=order.id)

    assert refused(stub.AssignOrderPartner, REP, assign).code == grpc.StatusCode.PERMISSION_DENIED
    assert refused(stub.GetOrder, partner_user, get).code == grpc.StatusCode.NOT_FOUND
    assigned = stub.AssignOrderPartner(assign, metadata=bearer(ADMIN), timeout=10)

    seen = stub.GetOrder(get, metadata=bearer(partner_user), timeout=10)
    listed = stub.ListOrders(S.ListOrdersRequest(), metadata=bearer(partner_user), timeout=10)
    assert (assigned.partner_id, assigned.version, seen.allowed_steps) == (partner_id, 2, [])
    assert [o.id for o in listed.orders] == [order.id]
    assert refused(stub.GetOrder, other_partner_user, get).code == grpc.StatusCode.NOT_FOUND
    others = stub.ListOrders(S.ListOrdersRequest(), metadata=bearer(other_partner_user), timeout=10)
    assert list(others.orders) == []
    confirm = S.OrderStepRequest(id=order.id)
    assert refused(stub.ConfirmOrder, partner_user, confirm).code == (
        grpc.StatusCode.PERMISSION_DENIED
    )
    event = outbox_events(engine)[-1].message
    assert isinstance(event, events_pb2.OrderPartnerAssigned)
    assert (event.partner_id, event.previous_partner_id, event.version) == (partner_id, "", 2)


def test_a_manager_sees_the_orders_of_their_team_and_a_rep_those_of_their_teammates(
    stub: sales_pb2_grpc.SalesServiceStub, engine: Engine
) -> None:
    team_id = uuid.uuid4()
    with engine.begin() as connection:
        connection.execute(
            sa.insert(orm.teams).values(
                id=team_id, name=f"South {team_id}", document={}, version=1,
                created_at=datetime.now(UTC), updated_at=datetime.now(UTC),
            )
        )  # fmt: skip
        connection.execute(
            sa.insert(orm.team_members),
            [
                {"team_id": team_id, "user_id": user, "is_manager": user == "manager-1",
                 "monthly_capacity": 10, "active": True}
                for user in ("manager-1", "rep-1", "rep-3")
            ],
        )  # fmt: skip
    teammate = staff_token("sales_rep", subject="rep-3")
    order = call(stub, "PlaceOrder", REP, customer_id=CUSTOMER_ID, title="Catalogue")
    outside = call(stub, "PlaceOrder", OTHER_REP, customer_id=CUSTOMER_ID, title="Flyers")

    def listed(token: str) -> set[str]:
        page = stub.ListOrders(S.ListOrdersRequest(), metadata=bearer(token), timeout=10)
        return {o.id for o in page.orders}

    assert {order.id} <= listed(MANAGER)
    assert outside.id not in listed(MANAGER)
    assert {order.id} <= listed(teammate)
    assert outside.id not in listed(teammate)
    assert call(stub, "ConfirmOrder", teammate, id=order.id).state == S.ORDER_STATE_CONFIRMED
    get_outside = S.GetOrderRequest(id=outside.id)
    assert refused(stub.GetOrder, MANAGER, get_outside).code == grpc.StatusCode.NOT_FOUND
    assert {order.id, outside.id} <= listed(FINANCE)
