"""The marketing consumer against real RabbitMQ and the database: the customer service's events
keep the contact copy (a registration, a consent change, a blacklisting, a merge), a
redelivered event is applied once, and an older one changes nothing newer; the copy answers
over gRPC."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator

import grpc
import pytest
from crm_marketing.domain.contacts import Channel
from crm_marketing.entrypoints.consumer import HANDLERS
from crm_platform.consumer import EventConsumer
from crm_platform.testing.processes import wait_until
from crm_platform.testing.tokens import staff_token
from crm_proto.crm.common.v1 import common_pb2
from crm_proto.crm.customer.v1 import customer_pb2
from crm_proto.crm.customer.v1 import events_pb2 as customer_events
from crm_proto.crm.marketing.v1 import contacts_pb2, contacts_pb2_grpc
from sqlalchemy import Engine

from tests.analytics.integration.harness import EventPublisher
from tests.customer.integration.support import row_count
from tests.marketing.integration.conftest import call, unit_of_work

WAIT = 15.0
STAFF = common_pb2.Actor(subject="admin-1", kind=common_pb2.ACTOR_KIND_STAFF)
MARKETER = staff_token("marketer", subject="marketer-1")


@pytest.fixture
def publisher(amqp_url: str) -> Iterator[EventPublisher]:
    publisher = EventPublisher(amqp_url, HANDLERS.subscription, source="customer")
    yield publisher
    publisher.close()


@pytest.fixture
def consumer(amqp_url: str, engine: Engine, publisher: EventPublisher) -> Iterator[EventConsumer]:
    running = EventConsumer(
        amqp_url, HANDLERS.subscription, HANDLERS.handlers, unit_of_work(engine)
    )
    stop = threading.Event()
    thread = threading.Thread(target=running.run, args=(stop,), daemon=True)
    thread.start()
    yield running
    stop.set()
    thread.join(timeout=20)


def customer(customer_id: str, *, email_consent: bool, version: int) -> customer_pb2.Customer:
    return customer_pb2.Customer(
        id=customer_id, name="Wang Fang", email="wang@acme.cn", region="south",
        consents=[customer_pb2.Consent(channel=customer_pb2.CONSENT_CHANNEL_EMAIL,
                                       granted=email_consent)],
        version=version,
    )  # fmt: skip


def contact_of(engine: Engine, customer_id: str) -> object:
    with unit_of_work(engine)() as uow:
        return uow.contacts.get(uuid.UUID(customer_id))


def test_the_customer_services_events_keep_the_contact_copy_once_each(
    engine: Engine, publisher: EventPublisher, consumer: EventConsumer, channel: grpc.Channel
) -> None:
    customer_id, survivor_id = str(uuid.uuid4()), str(uuid.uuid4())
    registered = customer_events.CustomerRegistered(
        customer=customer(customer_id, email_consent=False, version=1), version=1, actor=STAFF
    )
    publisher.publish(registered, subject=customer_id)
    consent = publisher.publish(
        customer_events.ConsentChanged(customer_id=customer_id, granted=True, version=2,
                                       channel=customer_pb2.CONSENT_CHANNEL_EMAIL, actor=STAFF),
        subject=customer_id,
    )  # fmt: skip
    publisher.publish_envelope(consent)  # redelivered
    # an older snapshot, delivered late: the newer consent stays
    publisher.publish(registered, subject=customer_id)

    def copied() -> bool:
        contact = contact_of(engine, customer_id)
        return contact is not None and contact.consents_to(Channel.EMAIL)  # type: ignore[attr-defined]

    wait_until(copied, timeout=WAIT, what="the consent in the copy")
    stub = contacts_pb2_grpc.ContactServiceStub(channel)
    answer = call(
        stub.GetContact, MARKETER, contacts_pb2.GetContactRequest(customer_id=customer_id)
    )
    assert (answer.email, list(answer.consents), list(answer.reachable_by)) == (
        "wang@acme.cn", ["email"], ["email"],
    )  # fmt: skip
    assert answer.version == 2

    publisher.publish(
        customer_events.CustomerBlacklisted(customer_id=customer_id, reason="fraud", version=3,
                                            actor=STAFF),
        subject=customer_id,
    )  # fmt: skip
    survivor = customer(survivor_id, email_consent=True, version=4)
    publisher.publish(
        customer_events.CustomerMerged(survivor=survivor, merged_id=customer_id, version=4,
                                       merged_version=4, actor=STAFF),
        subject=survivor_id,
    )  # fmt: skip

    def merged() -> bool:
        contact = contact_of(engine, customer_id)
        return contact is not None and contact.merged_into_id is not None  # type: ignore[attr-defined]

    wait_until(merged, timeout=WAIT, what="the merge in the copy")
    answer = call(
        stub.GetContact, MARKETER, contacts_pb2.GetContactRequest(customer_id=customer_id)
    )
    assert (answer.blacklisted, answer.merged_into_id, list(answer.reachable_by)) == (
        True, survivor_id, [],
    )  # fmt: skip
    assert row_count(engine, "contacts") == 2
    assert row_count(engine, "inbox") == 5  # the redelivery was recorded once
