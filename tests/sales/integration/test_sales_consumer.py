"""The sales consumer against real RabbitMQ and the database: marketing's LeadCaptured makes
one lead however often it arrives (the same event twice, or the same capture in a new event),
the customer service's CustomerMerged moves the merged customer's converted leads,
opportunities and orders to the survivor, and identity's AccountChanged keeps a disabled
account from being assigned leads."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from crm_platform.consumer import EventConsumer
from crm_platform.testing.processes import wait_until
from crm_proto.crm.common.v1 import common_pb2
from crm_proto.crm.customer.v1 import customer_pb2
from crm_proto.crm.customer.v1 import events_pb2 as customer_events
from crm_proto.crm.identity.v1 import events_pb2 as identity_events
from crm_proto.crm.identity.v1 import identity_pb2
from crm_proto.crm.marketing.v1 import events_pb2 as marketing_events
from crm_sales.adapters import orm
from crm_sales.domain.opportunities import Opportunity, PipelineStages
from crm_sales.domain.orders import Order
from crm_sales.domain.teams import AssignmentRule, Team
from crm_sales.domain.values import Actor, ActorKind
from crm_sales.entrypoints.consumer import HANDLERS
from sqlalchemy import Engine

from tests.analytics.integration.harness import EventPublisher
from tests.customer.integration.support import outbox_events
from tests.sales.integration.conftest import unit_of_work

WAIT = 15.0
MARKETING = common_pb2.Actor(subject="marketing", kind=common_pb2.ACTOR_KIND_SERVICE)
REP = Actor("rep-1", ActorKind.STAFF, frozenset({"sales_rep"}))
ADMIN = Actor("admin-1", ActorKind.STAFF, frozenset({"admin"}))
MERGED_RECORDS = (orm.leads, orm.opportunities, orm.orders)


@pytest.fixture
def publisher(amqp_url: str) -> Iterator[EventPublisher]:
    publisher = EventPublisher(amqp_url, HANDLERS.subscription, source="marketing")
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


def leads_rows(engine: Engine) -> list[sa.Row]:  # type: ignore[type-arg]
    with engine.connect() as connection:
        return list(connection.execute(sa.select(orm.leads).order_by(orm.leads.c.created_at)))


def deal(customer_id: uuid.UUID) -> Opportunity:
    return Opportunity.open(
        id=uuid.uuid4(), title="Showroom", customer_id=customer_id, owner_id="rep-1",
        team_id=None, partner_id=None, lead_id=None, amount=None, expected_close=None,
        source="web", region="south", tags=frozenset(), email="", phone="", actor=REP,
        now=datetime.now(UTC), stages=PipelineStages.DEFAULT,
    )  # fmt: skip


def order_for(customer_id: uuid.UUID) -> Order:
    return Order.place(
        id=uuid.uuid4(), customer_id=customer_id, title="Catalogue", description="",
        owner_id="rep-1", actor=REP, now=datetime.now(UTC),
    )  # fmt: skip


def inbox_count(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(sa.text("SELECT count(*) FROM inbox")).scalar_one())


def captured(lead_id: str, email: str = "wang@acme.cn") -> marketing_events.LeadCaptured:
    return marketing_events.LeadCaptured(
        lead_id=lead_id, campaign_id="spring-fair", form_id="contact-us", name="Wang Fang",
        company="Acme", email=email, region="south", company_size="medium",
        consent_email=True, version=1, actor=MARKETING,
    )  # fmt: skip


def test_a_captured_lead_appears_once_however_often_it_is_delivered(
    consumer: EventConsumer, publisher: EventPublisher, engine: Engine
) -> None:
    capture_id = str(uuid.uuid4())
    envelope = publisher.publish(captured(capture_id), subject=capture_id)
    publisher.publish_envelope(envelope)  # the same event again
    publisher.publish(
        captured(capture_id, email="other@acme.cn"), subject=capture_id
    )  # same capture
    wait_until(lambda: inbox_count(engine) == 2, timeout=WAIT, what="both events applied")
    (row,) = leads_rows(engine)
    assert (row.source, row.status, str(row.capture_id)) == ("campaign", "new", capture_id)
    assert row.document["campaign_id"] == "spring-fair"
    assert row.document["contact"]["company_size"] == "medium"
    assert row.document["tags"] == ["consent:email"]
    assert row.document["score"] > 0


def test_a_customer_merge_moves_its_leads_opportunities_and_orders_to_the_survivor(
    consumer: EventConsumer, publisher: EventPublisher, engine: Engine
) -> None:
    merged, survivor, lead_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    publisher.publish(captured(str(lead_id)), subject=str(lead_id))
    wait_until(lambda: len(leads_rows(engine)) == 1, timeout=WAIT, what="the lead")
    with engine.begin() as connection:  # as conversion left it
        connection.execute(sa.update(orm.leads).values(customer_id=merged, status="converted"))
    with unit_of_work(engine)() as uow:  # the merged customer's deal and order
        uow.opportunities.add(deal(merged))
        uow.orders.add(order_for(merged))
        uow.commit()
    publisher.publish(
        customer_events.CustomerMerged(
            survivor=customer_pb2.Customer(id=str(survivor)), merged_id=str(merged), version=3,
            merged_version=2, actor=MARKETING,
        ),
        subject=str(survivor),
    )  # fmt: skip

    def customers_of(table: sa.Table) -> list[uuid.UUID]:
        with engine.connect() as connection:
            return list(connection.execute(sa.select(table.c.customer_id)).scalars())

    wait_until(
        lambda: all(
            customers_of(table) == [survivor]
            for table in (orm.leads, orm.opportunities, orm.orders)
        ),
        timeout=WAIT,
        what="the relink of the lead, the deal and the order",
    )
    assert leads_rows(engine)[0].version == 2
    changed = [e.message for e in outbox_events(engine) if e.type.endswith("OrderCustomerChanged")]
    assert [(m.order.customer_id, m.previous_customer_id) for m in changed] == [  # type: ignore[attr-defined]
        (str(survivor), str(merged))
    ]


def account(user_id: str, *, disabled: bool, version: int) -> identity_events.AccountChanged:
    return identity_events.AccountChanged(
        user_id=user_id, kind=identity_pb2.ACCOUNT_KIND_STAFF, roles=["sales_rep"],
        disabled=disabled, version=version, actor=common_pb2.Actor(
            subject="admin-1", kind=common_pb2.ACTOR_KIND_STAFF
        ),
    )  # fmt: skip


def test_a_disabled_account_gets_no_captured_lead_and_a_stale_change_does_not_undo_it(
    consumer: EventConsumer, publisher: EventPublisher, engine: Engine
) -> None:
    now = datetime.now(UTC)
    sales = Team.create(
        id=uuid.uuid4(), name="Sales", rule=AssignmentRule(), stage_probabilities={},
        score_points={}, actor=ADMIN, now=now,
    )  # fmt: skip
    for rep in ("rep-1", "rep-2"):
        sales.set_member(
            ADMIN, now, user_id=rep, is_manager=False, monthly_capacity=10, active=True
        )
    with unit_of_work(engine)() as uow:
        uow.teams.add(sales)
        uow.commit()

    publisher.publish(account("rep-1", disabled=True, version=2), subject="rep-1")
    publisher.publish(account("rep-1", disabled=False, version=1), subject="rep-1")  # older
    for n in range(2):
        capture_id = str(uuid.uuid4())
        publisher.publish(captured(capture_id, email=f"lead{n}@acme.cn"), subject=capture_id)
    wait_until(lambda: inbox_count(engine) == 4, timeout=WAIT, what="every event applied")

    assert [row.owner_id for row in leads_rows(engine)] == ["rep-2", "rep-2"]
    with engine.connect() as connection:
        (stored,) = connection.execute(sa.select(orm.staff_accounts)).all()
    assert (stored.user_id, stored.disabled, stored.version) == ("rep-1", True, 2)
