"""The customer service's consumer role, against real RabbitMQ and PostgreSQL or SQLite: an
activity the sales service logged as done (crm.sales.v1.ActivityCompleted) goes on its
customer's timeline once, however often it is delivered; a paid order earns loyalty points
once, and a cancelled one gives back what was redeemed for it."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import pytest
from crm_customer.bootstrap import SERVICE
from crm_customer.config import MIGRATIONS_DIR, SERVICE_NAME, CustomerSettings
from crm_customer.entrypoints.consumer import HANDLERS
from crm_platform.db import build_engine
from crm_platform.migrations import upgrade
from crm_platform.parsing import timestamp
from crm_platform.runner import ServiceApp
from crm_platform.testing.processes import free_port, wait_until
from crm_platform.testing.tokens import (
    ADMIN_SUBJECT,
    admin_token,
    authorized_channel,
    customer_token,
    write_jwks,
)
from crm_proto.crm.common.v1 import common_pb2
from crm_proto.crm.customer.v1 import (
    customer_pb2,
    customer_pb2_grpc,
    loyalty_pb2,
    loyalty_pb2_grpc,
)
from crm_proto.crm.marketing.v1 import events_pb2 as marketing_events
from crm_proto.crm.sales.v1 import activities_pb2, events_pb2, sales_pb2
from crm_proto.crm.service.v1 import cases_pb2 as service_cases
from crm_proto.crm.service.v1 import events_pb2 as service_events

from tests.analytics.integration.harness import EventPublisher
from tests.customer.integration.support import outbox_events

pytestmark = pytest.mark.integration

A = activities_pb2
WAIT_SECONDS = 15.0


@pytest.fixture
def app(database_url: str, amqp_url: str, tmp_path: Path) -> Iterator[ServiceApp]:
    upgrade(MIGRATIONS_DIR, database_url)
    settings = CustomerSettings.from_env(
        SERVICE_NAME,
        {
            "CRM_CUSTOMER_DATABASE_URL": database_url,
            "CRM_AMQP_URL": amqp_url,
            "CRM_CUSTOMER_PORT": str(free_port()),
            "CRM_CUSTOMER_METRICS_PORT": "0",
            "CRM_JWKS_FILE": str(write_jwks(tmp_path / "jwks.json")),
        },
    )
    app = SERVICE.build(settings)
    stop = threading.Event()
    threads = [threading.Thread(target=app.readiness.run, args=(stop,), daemon=True)]
    threads += [
        threading.Thread(target=role, args=(stop,), daemon=True) for role in app.roles.values()
    ]
    for thread in threads:
        thread.start()
    yield app
    stop.set()
    for thread in threads:
        thread.join(timeout=20)
    for hook in app.on_stop:
        hook()


@pytest.fixture
def stub(app: ServiceApp) -> Iterator[customer_pb2_grpc.CustomerServiceStub]:
    channel = authorized_channel(f"127.0.0.1:{app.settings.port}", admin_token())
    yield customer_pb2_grpc.CustomerServiceStub(channel)
    channel.close()


@pytest.fixture
def publisher(amqp_url: str) -> Iterator[EventPublisher]:
    publisher = EventPublisher(amqp_url, HANDLERS.subscription, source="sales")
    yield publisher
    publisher.close()


def completed(
    customer_id: str,
    *,
    kind: A.ActivityKind.ValueType = A.ACTIVITY_KIND_CALL,
    title: str = "Ask about the table",
) -> events_pb2.ActivityCompleted:
    outcome = (
        A.CALL_OUTCOME_LEFT_MESSAGE if kind == A.ACTIVITY_KIND_CALL else A.CALL_OUTCOME_UNSPECIFIED
    )
    done_at = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    return events_pb2.ActivityCompleted(
        activity=A.Activity(
            id=str(uuid.uuid4()),
            kind=kind,
            subject_kind=A.SUBJECT_KIND_CUSTOMER,
            subject_id=customer_id,
            customer_id=customer_id,
            title=title,
            owner_id="rep-1",
            state=A.ACTIVITY_STATE_DONE,
            done=True,
            done_at=timestamp(done_at),
            outcome=outcome,
            outcome_note="Will call back Monday",
            version=2,
        ),
        customer_id=customer_id,
        outcome=outcome,
        version=2,
        actor=common_pb2.Actor(subject="rep-1", kind=common_pb2.ACTOR_KIND_STAFF),
    )


def timeline(
    stub: customer_pb2_grpc.CustomerServiceStub, customer_id: str
) -> list[customer_pb2.Interaction]:
    response = stub.ListInteractions(
        customer_pb2.ListInteractionsRequest(customer_id=customer_id),
        timeout=5,
        wait_for_ready=True,
    )
    return list(response.interactions)


def test_a_completed_activity_is_on_the_timeline_once_however_often_delivered(
    stub: customer_pb2_grpc.CustomerServiceStub, publisher: EventPublisher
) -> None:
    customer = stub.CreateCustomer(
        customer_pb2.CreateCustomerRequest(
            customer=customer_pb2.Customer(name="Ada Lovelace", email="ada@example.com")
        ),
        timeout=10,
        wait_for_ready=True,
    )
    call = completed(customer.id)
    envelope = publisher.publish(call, subject=call.activity.id)
    publisher.publish_envelope(envelope)  # a redelivery of the same event
    publisher.publish(call, subject=call.activity.id)  # the same completion as another event
    # one consumer takes the queue in order: once the meeting is on, the call's three are done
    meeting = completed(customer.id, kind=A.ACTIVITY_KIND_MEETING, title="Showroom visit")
    publisher.publish(meeting, subject=meeting.activity.id)

    wait_until(
        lambda: len(timeline(stub, customer.id)) == 2,
        timeout=WAIT_SECONDS,
        what="the call and the meeting on the timeline",
    )
    by_id = {i.id: i for i in timeline(stub, customer.id)}
    assert set(by_id) == {call.activity.id, meeting.activity.id}
    logged = by_id[call.activity.id]
    assert logged.channel == customer_pb2.INTERACTION_CHANNEL_PHONE
    assert logged.summary == "Call (left message): Ask about the table. Will call back Monday"
    assert logged.occurred_at == call.activity.done_at
    assert (logged.actor.subject, logged.actor.kind) == ("rep-1", common_pb2.ACTOR_KIND_STAFF)
    assert by_id[meeting.activity.id].channel == customer_pb2.INTERACTION_CHANNEL_MEETING


def test_an_activity_of_no_known_customer_is_acked_and_recorded_nowhere(
    stub: customer_pb2_grpc.CustomerServiceStub, publisher: EventPublisher
) -> None:
    customer = stub.CreateCustomer(
        customer_pb2.CreateCustomerRequest(
            customer=customer_pb2.Customer(name="Grace Hopper", email="grace@example.com")
        ),
        timeout=10,
        wait_for_ready=True,
    )
    stranger = completed(str(uuid.uuid4()))
    publisher.publish(stranger, subject=stranger.activity.id)
    task = completed(customer.id, kind=A.ACTIVITY_KIND_TASK, title="Send the swatches")
    publisher.publish(task, subject=task.activity.id)

    wait_until(
        lambda: len(timeline(stub, customer.id)) == 1,
        timeout=WAIT_SECONDS,
        what="the task after the stranger's call",
    )
    [logged] = timeline(stub, customer.id)
    assert logged.channel == customer_pb2.INTERACTION_CHANNEL_TASK
    assert logged.summary == "Task: Send the swatches. Will call back Monday"


def paid(order_id: str, customer_id: str, total: str) -> events_pb2.OrderPaid:
    return events_pb2.OrderPaid(
        order_id=order_id, customer_id=customer_id,
        total=common_pb2.Money(currency_code="CNY", amount=total), version=9,
        actor=common_pb2.Actor(subject="finance-1", kind=common_pb2.ACTOR_KIND_STAFF),
    )  # fmt: skip


def cancelled(order_id: str, customer_id: str) -> events_pb2.OrderCancelled:
    return events_pb2.OrderCancelled(
        order=sales_pb2.Order(id=order_id, customer_id=customer_id), reason="changed plans",
        version=4, actor=common_pb2.Actor(subject="rep-1", kind=common_pb2.ACTOR_KIND_STAFF),
    )  # fmt: skip


def balance(loyalty: loyalty_pb2_grpc.LoyaltyServiceStub, customer_id: str) -> int:
    request = loyalty_pb2.GetLoyaltyAccountRequest(customer_id=customer_id)
    return loyalty.GetLoyaltyAccount(request, timeout=5, wait_for_ready=True).balance


def test_paid_orders_earn_once_and_a_cancelled_one_gives_back_what_was_redeemed_for_it(
    app: ServiceApp, stub: customer_pb2_grpc.CustomerServiceStub, publisher: EventPublisher
) -> None:
    customer = stub.CreateCustomer(
        customer_pb2.CreateCustomerRequest(
            customer=customer_pb2.Customer(name="Li Na", email="li.na@example.com")
        ),
        timeout=10,
        wait_for_ready=True,
    )
    target = f"127.0.0.1:{app.settings.port}"
    staff = loyalty_pb2_grpc.LoyaltyServiceStub(authorized_channel(target, admin_token()))
    own = loyalty_pb2_grpc.LoyaltyServiceStub(
        authorized_channel(target, customer_token(customer.id))
    )
    stranger = loyalty_pb2_grpc.LoyaltyServiceStub(
        authorized_channel(target, customer_token(str(uuid.uuid4())))
    )
    big, small, redeemed_for = (str(uuid.uuid4()) for _ in range(3))

    envelope = publisher.publish(paid(big, customer.id, "1234.50"), subject=big)
    publisher.publish_envelope(envelope)  # a redelivery of the same event
    publisher.publish(paid(big, customer.id, "1234.50"), subject=big)  # the same fact again
    publisher.publish(paid(small, customer.id, "100"), subject=small)
    # one consumer takes the queue in order: once the small order counts, the big one's did
    wait_until(lambda: balance(staff, customer.id) == 133, timeout=WAIT_SECONDS, what="points")

    redeem = loyalty_pb2.RedeemPointsRequest(order_id=redeemed_for, points=50, currency="CNY")
    first = own.RedeemPoints(redeem, timeout=5)
    again = own.RedeemPoints(redeem, timeout=5)
    with pytest.raises(grpc.RpcError) as too_many:
        own.RedeemPoints(
            loyalty_pb2.RedeemPointsRequest(order_id=str(uuid.uuid4()), points=84, currency="CNY"),
            timeout=5,
        )
    with pytest.raises(grpc.RpcError) as not_theirs:
        stranger.GetLoyaltyAccount(
            loyalty_pb2.GetLoyaltyAccountRequest(customer_id=customer.id), timeout=5
        )

    assert (first.discount.amount, first.discount.currency_code) == ("5.00", "CNY")
    assert again.entry.id == first.entry.id
    assert first.account.balance == 83
    assert too_many.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert not_theirs.value.code() == grpc.StatusCode.NOT_FOUND

    for _ in range(2):
        publisher.publish(cancelled(redeemed_for, customer.id), subject=redeemed_for)
    wait_until(lambda: balance(own, "") == 133, timeout=WAIT_SECONDS, what="points given back")
    entries = own.ListLoyaltyEntries(loyalty_pb2.ListLoyaltyEntriesRequest(), timeout=5).entries
    assert [(entry.kind, entry.points) for entry in reversed(entries)] == [
        (loyalty_pb2.LOYALTY_ENTRY_KIND_EARNED, 123),
        (loyalty_pb2.LOYALTY_ENTRY_KIND_EARNED, 10),
        (loyalty_pb2.LOYALTY_ENTRY_KIND_REDEEMED, -50),
        (loyalty_pb2.LOYALTY_ENTRY_KIND_RESTORED, 50),
    ]
    account = own.GetLoyaltyAccount(loyalty_pb2.GetLoyaltyAccountRequest(), timeout=5)
    assert (account.tier, account.earned_last_year, account.points_to_next_tier) == (
        loyalty_pb2.LOYALTY_TIER_BRONZE, 133, 867,
    )  # fmt: skip


def test_a_merge_hands_the_points_to_the_survivor_and_a_later_cancellation_finds_them(
    app: ServiceApp, stub: customer_pb2_grpc.CustomerServiceStub, publisher: EventPublisher
) -> None:
    survivor, merged = (
        stub.CreateCustomer(
            customer_pb2.CreateCustomerRequest(
                customer=customer_pb2.Customer(name=name, email=f"{uuid.uuid4().hex}@example.com")
            ),
            timeout=10,
            wait_for_ready=True,
        )
        for name in ("Wang Fang", "Fang Wang")
    )
    staff = loyalty_pb2_grpc.LoyaltyServiceStub(
        authorized_channel(f"127.0.0.1:{app.settings.port}", admin_token())
    )
    first, second, theirs, redeemed_for = (str(uuid.uuid4()) for _ in range(4))
    publisher.publish(paid(first, merged.id, "500"), subject=first)
    publisher.publish(paid(second, merged.id, "300"), subject=second)
    publisher.publish(paid(theirs, survivor.id, "1000"), subject=theirs)
    wait_until(lambda: balance(staff, survivor.id) == 100, timeout=WAIT_SECONDS, what="points")
    wait_until(lambda: balance(staff, merged.id) == 80, timeout=WAIT_SECONDS, what="points")
    staff.RedeemPoints(
        loyalty_pb2.RedeemPointsRequest(
            customer_id=merged.id, order_id=redeemed_for, points=20, currency="CNY"
        ),
        timeout=5,
    )  # spent from the first order's lot: 30 of its 50 are left

    stub.MergeCustomers(
        customer_pb2.MergeCustomersRequest(survivor_id=survivor.id, merged_id=merged.id),
        timeout=10,
    )
    # the order's cancellation still names the merged customer, as sales saw it before
    for _ in range(2):
        publisher.publish(cancelled(redeemed_for, merged.id), subject=redeemed_for)

    wait_until(lambda: balance(staff, survivor.id) == 180, timeout=WAIT_SECONDS, what="restored")
    entries = staff.ListLoyaltyEntries(
        loyalty_pb2.ListLoyaltyEntriesRequest(customer_id=survivor.id), timeout=5
    ).entries
    assert sorted((entry.kind, entry.points, entry.order_id) for entry in entries) == sorted([
        (loyalty_pb2.LOYALTY_ENTRY_KIND_EARNED, 100, theirs),
        (loyalty_pb2.LOYALTY_ENTRY_KIND_TRANSFERRED, 30, first),
        (loyalty_pb2.LOYALTY_ENTRY_KIND_TRANSFERRED, 30, second),
        (loyalty_pb2.LOYALTY_ENTRY_KIND_RESTORED, 20, redeemed_for),
    ])  # fmt: skip
    assert balance(staff, merged.id) == 0


def test_an_unsubscription_in_marketing_withdraws_the_email_consent_once_by_the_customer(
    app: ServiceApp, stub: customer_pb2_grpc.CustomerServiceStub, publisher: EventPublisher,
    database_url: str,
) -> None:  # fmt: skip
    customer = stub.CreateCustomer(
        customer_pb2.CreateCustomerRequest(
            customer=customer_pb2.Customer(name="Zhou Min", email="zhou.min@example.cn")
        ),
        timeout=10,
        wait_for_ready=True,
    )
    stub.SetConsent(
        customer_pb2.SetConsentRequest(
            id=customer.id, channel=customer_pb2.CONSENT_CHANNEL_EMAIL, granted=True
        ),
        timeout=10,
    )
    unsubscribed = marketing_events.ContactUnsubscribed(
        customer_id=customer.id, campaign_id=str(uuid.uuid4()),
        unsubscribed_at=timestamp(datetime.now(UTC)), version=1,
        actor=common_pb2.Actor(subject=customer.id, kind=common_pb2.ACTOR_KIND_CUSTOMER),
    )  # fmt: skip
    envelope = publisher.publish(unsubscribed, subject=customer.id)
    publisher.publish_envelope(envelope)  # a redelivery

    def email_consent() -> bool:
        found = stub.GetCustomer(customer_pb2.GetCustomerRequest(id=customer.id), timeout=5)
        return next(
            c.granted for c in found.consents if c.channel == customer_pb2.CONSENT_CHANNEL_EMAIL
        )

    wait_until(lambda: not email_consent(), timeout=WAIT_SECONDS, what="the consent withdrawn")
    engine = build_engine(database_url, pool_size=1)
    try:
        changes = [e.message for e in outbox_events(engine) if e.type.endswith("ConsentChanged")]
    finally:
        engine.dispose()
    assert [(c.granted, c.actor.kind, c.actor.subject) for c in changes] == [
        (True, common_pb2.ACTOR_KIND_STAFF, ADMIN_SUBJECT),
        (False, common_pb2.ACTOR_KIND_CUSTOMER, customer.id),
    ]


def test_a_call_the_service_logged_is_on_the_timeline_once(
    stub: customer_pb2_grpc.CustomerServiceStub, publisher: EventPublisher
) -> None:
    customer = stub.CreateCustomer(
        customer_pb2.CreateCustomerRequest(
            customer=customer_pb2.Customer(name="Li Wei", email="li.wei@example.com")
        ),
        timeout=10,
        wait_for_ready=True,
    )
    started = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    call = service_events.CallLogged(
        call_id=str(uuid.uuid4()), case_id=str(uuid.uuid4()), case_reference="CS-1A2B3C4D",
        customer_id=customer.id, phone="+8613800138000",
        direction=service_cases.CALL_DIRECTION_INBOUND, duration_seconds=200,
        started_at=timestamp(started), version=2,
        actor=common_pb2.Actor(subject="telephony", kind=common_pb2.ACTOR_KIND_SERVICE),
    )  # fmt: skip
    envelope = publisher.publish(call, subject=call.case_id)
    publisher.publish_envelope(envelope)  # redelivered

    wait_until(lambda: len(timeline(stub, customer.id)) == 1, timeout=WAIT_SECONDS, what="the call")
    (logged,) = timeline(stub, customer.id)
    assert (logged.id, logged.channel, logged.summary) == (
        call.call_id, customer_pb2.INTERACTION_CHANNEL_PHONE,
        "Inbound call, 3 min 20 s (case CS-1A2B3C4D)",
    )  # fmt: skip
    assert logged.occurred_at == call.started_at
