"""Sales' order and payment events and customer's interactions through RabbitMQ into each
customer's value, read through the real gRPC server, and the segments over it (PostgreSQL and
SQLite)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from crm_platform.parsing import timestamp
from crm_platform.testing.processes import wait_until
from crm_proto.crm.analytics.v1 import analytics_pb2
from crm_proto.crm.common.v1 import common_pb2
from crm_proto.crm.customer.v1 import customer_pb2
from crm_proto.crm.customer.v1 import events_pb2 as customer_events
from crm_proto.crm.sales.v1 import events_pb2 as sales_events
from crm_proto.crm.sales.v1 import sales_pb2

from tests.analytics.integration.harness import WAIT_SECONDS, EventPublisher, RunningAnalytics
from tests.analytics.integration.test_rule_segments import condition, create, members, rule
from tests.analytics.integration.test_segments import new_id, register, settle

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC)


def placed_order(
    customer_id: str,
    *,
    order_id: str | None = None,
    version: int = 1,
    state: int = sales_pb2.ORDER_STATE_PLACED,
    at: datetime = NOW,
) -> sales_pb2.Order:
    return sales_pb2.Order(
        id=order_id or new_id(),
        customer_id=customer_id,
        title="Catalogue",
        state=state,
        amount=common_pb2.Money(currency_code="CNY", amount="1000.00"),
        version=version,
        created_at=timestamp(at),
    )


def place(publisher: EventPublisher, order: sales_pb2.Order) -> None:
    publisher.publish(
        sales_events.OrderPlaced(order=order, version=order.version), subject=order.id
    )


def pay(
    publisher: EventPublisher,
    order: sales_pb2.Order,
    number: int,
    amount: str,
    currency: str = "CNY",
) -> None:
    publisher.publish(
        sales_events.PaymentMilestonePaid(
            order_id=order.id,
            customer_id=order.customer_id,
            number=number,
            amount=common_pb2.Money(currency_code=currency, amount=amount),
            version=order.version + number,
        ),
        subject=order.id,
    )


def value_of(analytics: RunningAnalytics, customer_id: str) -> analytics_pb2.CustomerValue:
    return analytics.stub.GetCustomerValue(
        analytics_pb2.GetCustomerValueRequest(customer_id=customer_id), timeout=5
    )


def test_orders_payments_and_interactions_sum_up_per_customer(
    publisher: EventPublisher, analytics: RunningAnalytics
) -> None:
    customer_id = new_id()
    register(publisher, customer_id)
    first = placed_order(customer_id, at=NOW - timedelta(days=40))
    second = placed_order(customer_id, at=NOW - timedelta(days=3))
    cancelled = placed_order(customer_id)
    for order in (first, second, cancelled):
        place(publisher, order)
    publisher.publish(
        sales_events.OrderCancelled(
            order=placed_order(
                customer_id, order_id=cancelled.id, version=2,
                state=sales_pb2.ORDER_STATE_CANCELLED,
            ),
            version=2,
        ),
        subject=cancelled.id,
    )  # fmt: skip
    # an older snapshot after the newer one changes nothing
    place(publisher, placed_order(customer_id, order_id=cancelled.id, version=1))
    pay(publisher, first, 1, "100.50")
    pay(publisher, first, 1, "100.50")  # the same milestone again: one payment
    pay(publisher, second, 1, "0.25")
    pay(publisher, second, 2, "7", currency="USD")
    publisher.publish(
        customer_events.InteractionLogged(
            customer_id=customer_id,
            interaction_id=new_id(),
            channel=customer_pb2.INTERACTION_CHANNEL_PHONE,
            occurred_at=timestamp(NOW),
            version=2,
        ),
        subject=customer_id,
    )
    settle(publisher, analytics)

    value = value_of(analytics, customer_id)

    assert value.orders == 2
    assert value.first_order_at.ToDatetime(tzinfo=UTC) == first.created_at.ToDatetime(tzinfo=UTC)
    assert value.last_order_at.ToDatetime(tzinfo=UTC) == second.created_at.ToDatetime(tzinfo=UTC)
    assert [(m.amount, m.currency_code) for m in value.paid] == [("100.75", "CNY"), ("7", "USD")]
    assert value.interactions == 1


def test_an_unknown_customer_is_not_found(analytics: RunningAnalytics) -> None:
    with pytest.raises(grpc.RpcError) as unknown:
        analytics.stub.GetCustomerValue(
            analytics_pb2.GetCustomerValueRequest(customer_id=str(uuid.uuid4())),
            timeout=5,
            wait_for_ready=True,
        )

    assert unknown.value.code() == grpc.StatusCode.NOT_FOUND


def test_a_payment_moves_a_customer_into_a_value_segment(
    publisher: EventPublisher, analytics: RunningAnalytics
) -> None:
    region = f"value-{uuid.uuid4().hex[:6]}"
    buyer, browser = new_id(), new_id()
    register(publisher, buyer, region=region)
    register(publisher, browser, region=region)
    order = placed_order(buyer, at=NOW - timedelta(days=10))
    place(publisher, order)
    settle(publisher, analytics)
    big_spenders = rule(
        condition("region", "eq", region),
        condition("orders", "gte", "1"),
        condition("paid", "gt", "500.004"),
        condition("days_since_last_order", "lte", "30"),
    )
    segment = create(analytics, big_spenders)
    recent = create(analytics, rule(condition("region", "eq", region),
                                    condition("days_since_last_order", "eq", "10")))  # fmt: skip
    never = create(
        analytics, rule(condition("region", "eq", region), condition("orders", "eq", "0"))
    )
    assert segment.member_count == 0
    assert members(analytics, recent.id) == [buyer]
    assert members(analytics, never.id) == [browser]

    pay(publisher, order, 1, "500.01")

    wait_until(
        lambda: members(analytics, segment.id) == [buyer],
        timeout=WAIT_SECONDS,
        what="the buyer in the segment",
    )
