"""Faults on real processes, a real PostgreSQL and a real RabbitMQ: no event lost, none applied
twice.

Each test lays out its own system, drives a steady stream of customers through the gateway,
injects a fault (a proxy between a process and the broker or its database, or a signal to a
process), lets the system recover, and then counts: customers and outbox rows in the customer
database against the analytics read model, the analytics inbox and the segments over REST.
"""

from __future__ import annotations

import importlib
import signal
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import grpc
import httpx
import pytest
from crm_platform import dead_letters, migrations
from crm_platform.relay import HALT_BEFORE_MARKING
from crm_platform.testing.servers import PostgresServer, RabbitServer
from crm_platform.testing.tokens import bearer
from crm_proto.crm.customer.v1 import customer_pb2, customer_pb2_grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from tests.system.faults import (
    SETTLE_TIMEOUT,
    HoldingProxy,
    System,
    assert_nothing_lost_nothing_twice,
    inbox_events,
    new_person,
    outbox_events,
    pending_outbox,
    publish_copies,
    region_count,
    segments,
)
from tests.system.stack import (
    BIN,
    SERVICES_WITH_DB,
    Stack,
    build_stack,
    destroy_stack,
    servers_or_skip,
)

PROBLEM = "application/problem+json"

# minutes of processes started, broken and recovered: `make test-slow`, not `make test`
pytestmark = pytest.mark.slow


@pytest.fixture
def system(
    postgres_instance: PostgresServer | str,
    rabbit_instance: RabbitServer | str,
    tmp_path: Path,
) -> Iterator[System]:
    """Fresh databases and a fresh virtual host, migrated; the test starts the processes."""
    postgres, rabbit = servers_or_skip(postgres_instance, rabbit_instance)
    stack = build_stack(postgres, rabbit, tmp_path)
    system = System(stack)
    try:
        migrate(stack)
        yield system
    finally:
        for process in stack.processes.values():  # all at once: each drains in parallel
            if process.process is not None and process.running:
                process.process.send_signal(signal.SIGTERM)
        stack.stop_all()
        system.close()
        print(stack.logs())  # shown when the test fails
        destroy_stack(stack, postgres, rabbit)


def migrate(stack: Stack) -> None:
    """The services' migrations, run in this process: the same as `crm-<service> migrate`
    without starting an interpreter for each."""
    for service in SERVICES_WITH_DB:
        config = importlib.import_module(f"crm_{service}.config")
        migrations.upgrade(config.MIGRATIONS_DIR, stack.database_urls[service])


def start(system: System, **processes: tuple[str, str]) -> None:
    """Start `name=(service, role)` processes and the portal, then wait until all are ready."""
    for name, (service, role) in processes.items():
        system.run(name, service, role)
    system.run_portal()
    system.wait_ready()


def test_the_broker_connection_drops_mid_stream_and_comes_back(system: System) -> None:
    relay_link = system.broker_proxy()
    consumer_link = system.broker_proxy()
    system.run("customer", "customer", broker=relay_link)
    system.run("analytics", "analytics", broker=consumer_link)
    system.run_portal()
    system.wait_ready()
    links = (relay_link, consumer_link)

    with system.writer() as writer:
        writer.wait_for_more(20)
        before = [link.connections_accepted for link in links]
        for link in links:
            link.outage(3.0)  # cut every connection, refuse new ones for 3 s
        # Back from the outage, the relay's first batch is what piled up meanwhile: cut the
        # connection again in the middle of that batch, once 20 kB more have crossed.
        relay_link.cut_after(20_000, refuse_for=1.0)
        system.wait_until(lambda: not relay_link.armed, timeout=60, what="the cut in mid-batch")
        writer.wait_for_more(20)

    assert_nothing_lost_nothing_twice(system, writer)
    # Both reconnected on their own: new connections through the proxies, same processes.
    assert all(link.connections_accepted > n for link, n in zip(links, before, strict=True))
    assert system.stack.processes["customer"].running
    assert system.stack.processes["analytics"].running


def test_a_relay_killed_between_publishing_and_marking_republishes_and_nothing_doubles(
    system: System,
) -> None:
    system.run("customer-api", "customer", "api")
    start(system, analytics=("analytics", "all"))
    published_unmarked: set[str] = set()

    def published_not_marked() -> set[str]:
        # Events the consumer has applied while their outbox rows are still pending.
        return pending_outbox(system) & inbox_events(system)

    with system.writer() as writer:
        for _ in range(2):
            writer.wait_for_more(10)  # rows wait in the outbox: no relay runs now
            # This relay publishes one batch, has it confirmed, and halts before marking it.
            halted = system.run("halted-relay", "customer", "relay", env={HALT_BEFORE_MARKING: "1"})
            system.wait_until(
                lambda: bool(published_not_marked()), timeout=30, what="a published, unmarked event"
            )
            halted.kill()
            published_unmarked.update(published_not_marked())
            relay = system.run("relay", "customer", "relay")
            system.wait_ready("relay")
            system.wait_until(
                lambda: not published_unmarked & pending_outbox(system),
                timeout=30,
                what="the relay to publish again what the killed one left unmarked",
            )
            assert relay.stop() == 0, relay.log()
        system.run("relay", "customer", "relay")
        writer.wait_for_more(15)

    assert_nothing_lost_nothing_twice(system, writer)
    # The relay published those events again after the kill; the inbox absorbed them.
    system.wait_until(
        lambda: system.consumer_outcomes("analytics", "duplicate") >= len(published_unmarked),
        timeout=30,
        what=f"{len(published_unmarked)} duplicates absorbed by the inbox",
    )


def test_a_sales_relay_killed_between_publishing_and_marking_republishes_and_nothing_doubles(
    system: System,
) -> None:
    """Every part of sales too (orders, leads, opportunities, activities): each event reaches
    the consumer once, however often the relay publishes it."""
    system.run("sales-api", "sales", "api")
    start(system, customer=("customer", "api"), analytics=("analytics", "all"))
    with httpx.Client(base_url=system.stack.api, headers=system.stack.headers(), timeout=10) as api:
        # 5 events each wait in the outbox: placed, confirmed, lead, opportunity, activity
        orders = [place_and_confirm(api, n) for n in range(12)]
        halted = system.run("halted-relay", "sales", "relay", env={HALT_BEFORE_MARKING: "1"})

        def published_not_marked() -> set[str]:
            return pending_outbox(system, "sales") & inbox_events(system)

        system.wait_until(
            lambda: bool(published_not_marked()), timeout=30, what="a published, unmarked event"
        )
        halted.kill()
        republished = published_not_marked()
        system.run("relay", "sales", "relay")
        system.wait_until(
            lambda: not pending_outbox(system, "sales"),
            timeout=SETTLE_TIMEOUT,
            what="the relay to publish every sales event",
        )
        system.wait_until(
            lambda: outbox_events(system, "sales") <= inbox_events(system),
            timeout=SETTLE_TIMEOUT,
            what="analytics to record every sales event",
        )
        system.wait_until(
            lambda: system.consumer_outcomes("analytics", "duplicate") >= len(republished),
            timeout=30,
            what=f"{len(republished)} duplicates absorbed by the inbox",
        )

        assert len(outbox_events(system, "sales")) == 5 * len(orders)
        for order_id in orders:
            order = api.get(f"/api/v1/sales/orders/{order_id}").json()
            assert (order["state"], order["version"]) == ("confirmed", 2)


def place_and_confirm(api: httpx.Client, n: int) -> str:
    unique = uuid.uuid4().hex[:10]
    customer = api.post(
        "/api/v1/customers", json={"name": f"Buyer {n}", "email": f"buyer-{unique}@example.com"}
    )
    assert customer.status_code == 201, customer.text
    placed = api.post(
        "/api/v1/sales/orders", json={"customer_id": customer.json()["id"], "title": f"Order {n}"}
    )
    assert placed.status_code == 201, placed.text
    order_id: str = placed.json()["id"]
    confirmed = api.post(f"/api/v1/sales/orders/{order_id}/confirm", json={})
    assert confirmed.status_code == 200, confirmed.text
    lead = api.post(
        "/api/v1/sales/leads",
        json={"source": "phone", "contact": {"name": f"Lead {n}", "phone": f"+8613800{n:06d}"}},
    )
    deal = api.post(
        "/api/v1/sales/opportunities",
        json={"customer_id": customer.json()["id"], "title": f"Deal {n}"},
    )
    call = api.post(
        "/api/v1/sales/activities",
        json={"kind": "call", "subject_kind": "order", "subject_id": order_id,
              "title": f"Call about order {n}", "due_at": "2030-01-01T09:00:00Z"},
    )  # fmt: skip
    assert [r.status_code for r in (lead, deal, call)] == [201, 201, 201], call.text
    return order_id


def test_a_consumer_killed_after_its_commit_and_before_its_ack_applies_each_event_once(
    system: System,
) -> None:
    link = system.broker_proxy(HoldingProxy)
    assert isinstance(link, HoldingProxy)
    system.run("consumer", "analytics", "consumer", broker=link)
    start(system, customer=("customer", "all"), analytics=("analytics", "api"))
    consumer = system.stack.processes["consumer"]
    duplicates = 0

    with system.writer() as writer:
        for _ in range(2):
            writer.wait_for_more(10)
            duplicates += system.consumer_outcomes("consumer", "duplicate")
            link.hold("up")  # the consumer's acks stop reaching the broker

            def committed_unacked(at_least: int = len(inbox_events(system)) + 5) -> bool:
                return len(inbox_events(system)) >= at_least

            system.wait_until(
                committed_unacked, timeout=30, what="the consumer to commit events it cannot ack"
            )
            consumer.kill()
            link.cut()
            link.release()
            system.restart("consumer")
        writer.wait_for_more(15)

    assert_nothing_lost_nothing_twice(system, writer)
    # The broker redelivered what the killed consumers had committed; the inbox skipped it.
    duplicates += system.consumer_outcomes("consumer", "duplicate")
    assert duplicates > 0


def test_the_same_event_twice_and_to_two_consumers_at_once_is_applied_once(
    system: System,
) -> None:
    # Two consumers on the analytics queue: the one in the analytics process, and another.
    start(system, customer=("customer", "all"), analytics=("analytics", "all"))
    system.run("consumer", "analytics", "consumer")
    system.wait_ready("consumer")
    copied = 0

    with system.writer() as writer:
        for _ in range(2):
            writer.wait_for_more(20)
            # Copies of real events, same CloudEvent id, two of each back to back: with two
            # consumers on the queue, the copies of one event are handled side by side.
            rows = system.rows(
                "customer",
                "SELECT event_id, event_type, payload FROM outbox "
                "WHERE published_at IS NOT NULL ORDER BY seq DESC LIMIT 20",
            )
            copied += publish_copies(
                system.stack.amqp_url, [(r[0], r[1], bytes(r[2])) for r in rows], copies=2
            )

    assert_nothing_lost_nothing_twice(system, writer)
    events = len(outbox_events(system))
    consumers = ("analytics", "consumer")

    def every_copy_seen() -> bool:
        return sum(system.consumer_outcomes(c, "duplicate") for c in consumers) >= copied

    system.wait_until(every_copy_seen, timeout=30, what="the consumers to receive every copy")
    handled = [system.consumer_outcomes(c, "handled") for c in consumers]
    duplicates = [system.consumer_outcomes(c, "duplicate") for c in consumers]
    assert sum(handled) == events  # each event applied once, by one of the two
    assert sum(duplicates) == copied
    assert all(h + d > 0 for h, d in zip(handled, duplicates, strict=True))  # both consumed


def crm(*args: str, amqp_url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "crm"), *args, "--amqp-url", amqp_url],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_poison_message_is_dead_lettered_listed_and_replayed_after_the_fix(
    system: System,
) -> None:
    start(system, customer=("customer", "all"), analytics=("analytics", "all"))
    amqp_url = system.stack.amqp_url

    with system.writer() as writer:
        writer.wait_for_more(10)
        system.wait_until(
            lambda: inbox_events(system) == outbox_events(system),
            timeout=30,
            what="analytics to catch up",
        )
        # The handler now fails for real on every event: its table is gone.
        system.execute("analytics", "ALTER TABLE customer_facts RENAME TO customer_facts_away")
        writer.wait_for_more(10)
    # Also a body that is not a CloudEvent at all: dead-lettered at once, never replayable.
    publish_copies(amqp_url, [("not-an-event", "crm.customer.v1.CustomerRegistered", b"\xff")], 1)

    poisoned = outbox_events(system) - inbox_events(system)
    assert len(poisoned) >= 10
    system.wait_until(
        lambda: len(dead_letters.list_dead_letters(amqp_url, "analytics")) == len(poisoned) + 1,
        timeout=60,
        what="every failing event to reach the dead-letter queue",
    )
    listed = crm("dlq", "list", "analytics", amqp_url=amqp_url)
    assert listed.returncode == 0, listed.stderr
    for event_id in (*poisoned, "not-an-event"):
        assert event_id in listed.stdout
    assert f"{len(poisoned) + 1} dead letter(s)" in listed.stdout
    assert "delivery_limit" in listed.stdout
    assert "rejected" in listed.stdout
    assert not poisoned & inbox_events(system)  # failed, so not recorded as applied

    system.execute("analytics", "ALTER TABLE customer_facts_away RENAME TO customer_facts")
    replay_args = [arg for event_id in sorted(poisoned) for arg in ("--event-id", event_id)]
    replayed = crm("dlq", "replay", "analytics", *replay_args, amqp_url=amqp_url)

    assert replayed.returncode == 0, replayed.stderr
    assert f"{len(poisoned)} event(s) moved back to analytics.events" in replayed.stdout
    assert_nothing_lost_nothing_twice(system, writer)
    left = dead_letters.list_dead_letters(amqp_url, "analytics")
    assert [letter.event_id for letter in left] == ["not-an-event"]


def test_an_unreachable_database_is_reported_and_recovered_from_without_restarts(
    system: System,
) -> None:
    database = system.database_proxy("customer")
    system.run("customer", "customer", database=database)
    start(system, analytics=("analytics", "all"))
    pids = {name: p.process.pid for name, p in system.stack.processes.items() if p.process}
    target = system.stack.grpc_target("customer")
    channel = grpc.insecure_channel(target)
    customers = customer_pb2_grpc.CustomerServiceStub(channel)
    health = health_pb2_grpc.HealthStub(channel)
    api = httpx.Client(base_url=system.stack.api, headers=system.stack.headers(), timeout=15)
    metadata = bearer(system.stack.admin_token())
    ready = system.ready_url("customer")

    def created() -> httpx.Response:
        return api.post("/api/v1/customers", json=new_person(writer.region))

    def health_is(status: int) -> bool:
        return bool(health.Check(health_pb2.HealthCheckRequest(), timeout=5).status == status)

    def get_code() -> grpc.StatusCode:
        request = customer_pb2.GetCustomerRequest(id=writer.accepted[0])
        try:
            customers.GetCustomer(request, metadata=metadata, timeout=5)
        except grpc.RpcError as exc:
            return exc.code()
        return grpc.StatusCode.OK

    with channel, api, system.writer() as writer:
        writer.wait_for_more(20)
        database.outage()  # cut every connection, refuse new ones until resume

        system.wait_until(
            lambda: created().status_code == 503, timeout=30, what="a 503 from the gateway"
        )
        response = created()
        assert response.status_code == 503
        assert response.headers["content-type"].startswith(PROBLEM)
        assert response.json()["status"] == 503
        assert get_code() == grpc.StatusCode.UNAVAILABLE
        system.wait_until(
            lambda: health_is(health_pb2.HealthCheckResponse.NOT_SERVING),
            timeout=30,
            what="gRPC health NOT_SERVING",
        )
        system.wait_until(
            lambda: httpx.get(ready, timeout=5).status_code == 503,
            timeout=30,
            what="/readyz 503",
        )

        database.resume()
        system.wait_until(lambda: created().status_code == 201, timeout=30, what="a 201 again")
        system.wait_until(
            lambda: get_code() == grpc.StatusCode.OK, timeout=30, what="gRPC OK again"
        )
        system.wait_until(
            lambda: health_is(health_pb2.HealthCheckResponse.SERVING),
            timeout=30,
            what="gRPC health SERVING again",
        )
        system.wait_until(
            lambda: httpx.get(ready, timeout=5).status_code == 200,
            timeout=30,
            what="/readyz 200 again",
        )
        writer.wait_for_more(20)

    assert_nothing_lost_nothing_twice(system, writer)
    assert writer.refused["503"] > 0  # the stream met the outage
    after = {name: p.process.pid for name, p in system.stack.processes.items() if p.process}
    assert after == pids
    assert all(p.running for p in system.stack.processes.values())


def test_sigterm_drains_each_process_and_loses_nothing(system: System) -> None:
    start(system, customer=("customer", "all"), analytics=("analytics", "all"))

    with system.writer() as writer:
        for name in ("portal", "customer", "analytics"):
            writer.wait_for_more(10)
            process = system.stack.processes[name]
            assert process.stop() == 0, process.log()
            system.restart(name)
        writer.wait_for_more(20)

    assert_nothing_lost_nothing_twice(system, writer)
    body = segments(system)
    assert region_count(body, writer.region) >= len(writer.accepted)


def test_a_service_relay_killed_between_publishing_and_marking_republishes_and_nothing_doubles(
    system: System,
) -> None:
    """The service (support) service's cases: each event reaches the consumer once, however
    often the relay publishes it."""
    system.run("service-api", "service", "api")
    start(system, customer=("customer", "api"), analytics=("analytics", "all"))
    with httpx.Client(base_url=system.stack.api, headers=system.stack.headers(), timeout=10) as api:
        # 2 events each wait in the outbox: opened, and the agent's reply
        cases = [open_and_answer(api, n) for n in range(12)]
        halted = system.run("halted-relay", "service", "relay", env={HALT_BEFORE_MARKING: "1"})

        def published_not_marked() -> set[str]:
            return pending_outbox(system, "service") & inbox_events(system)

        system.wait_until(
            lambda: bool(published_not_marked()), timeout=30, what="a published, unmarked event"
        )
        halted.kill()
        republished = published_not_marked()
        system.run("relay", "service", "relay")
        system.wait_until(
            lambda: not pending_outbox(system, "service"),
            timeout=SETTLE_TIMEOUT,
            what="the relay to publish every service event",
        )
        system.wait_until(
            lambda: outbox_events(system, "service") <= inbox_events(system),
            timeout=SETTLE_TIMEOUT,
            what="analytics to record every service event",
        )
        system.wait_until(
            lambda: system.consumer_outcomes("analytics", "duplicate") >= len(republished),
            timeout=30,
            what=f"{len(republished)} duplicates absorbed by the inbox",
        )

        assert len(outbox_events(system, "service")) == 2 * len(cases)
        for case_id in cases:
            case = api.get(f"/api/v1/service/cases/{case_id}").json()
            assert (case["status"], case["version"]) == ("new", 2)


def open_and_answer(api: httpx.Client, n: int) -> str:
    opened = api.post(
        "/api/v1/service/cases",
        json={"type": "inquiry", "subject": f"Opening hours {n}",
              "contact_email": f"asker-{uuid.uuid4().hex[:10]}@example.com"},
    )  # fmt: skip
    assert opened.status_code == 201, opened.text
    case_id: str = opened.json()["id"]
    answered = api.post(
        f"/api/v1/service/cases/{case_id}/messages", json={"body": "We open at nine"}
    )
    assert answered.status_code == 200, answered.text
    return case_id


def test_a_marketing_relay_killed_between_publishing_and_marking_republishes_and_nothing_doubles(
    system: System,
) -> None:
    """Marketing's products and captured leads: each event reaches the consumer once, however
    often the relay publishes it."""
    system.run("marketing-api", "marketing", "api")
    start(system, analytics=("analytics", "all"))
    with httpx.Client(base_url=system.stack.api, headers=system.stack.headers(), timeout=10) as api:
        form = api.post(
            "/api/v1/marketing/forms",
            json={"form": {"name": "Website", "active": True, "required_fields": ["email"]}},
        )
        assert form.status_code == 201, form.text
        # 2 events each wait in the outbox: a product, and a lead captured by the public form
        codes = [create_product_and_capture(api, form.json()["id"], n) for n in range(12)]
        halted = system.run("halted-relay", "marketing", "relay", env={HALT_BEFORE_MARKING: "1"})

        def published_not_marked() -> set[str]:
            return pending_outbox(system, "marketing") & inbox_events(system)

        system.wait_until(
            lambda: bool(published_not_marked()), timeout=30, what="a published, unmarked event"
        )
        halted.kill()
        republished = published_not_marked()
        system.run("relay", "marketing", "relay")
        system.wait_until(
            lambda: not pending_outbox(system, "marketing"),
            timeout=SETTLE_TIMEOUT,
            what="the relay to publish every marketing event",
        )
        system.wait_until(
            lambda: outbox_events(system, "marketing") <= inbox_events(system),
            timeout=SETTLE_TIMEOUT,
            what="analytics to record every marketing event",
        )
        system.wait_until(
            lambda: system.consumer_outcomes("analytics", "duplicate") >= len(republished),
            timeout=30,
            what=f"{len(republished)} duplicates absorbed by the inbox",
        )

        assert len(outbox_events(system, "marketing")) == 2 * len(codes)
        listed = api.get("/api/v1/marketing/products", params={"page_size": 50}).json()
        assert sorted(p["code"] for p in listed["items"]) == sorted(codes)
        assert {p["version"] for p in listed["items"]} == {1}


def create_product_and_capture(api: httpx.Client, form_id: str, n: int) -> str:
    code = f"FAULT-{n:02d}"
    product = api.post(
        "/api/v1/marketing/products",
        json={"code": code, "product": {"name": f"Product {n}", "unit": "piece", "active": True,
                                        "list_price": {"currency_code": "CNY", "amount": "9.90"}}},
    )  # fmt: skip
    assert product.status_code == 201, product.text
    captured = api.post(
        f"/api/v1/public/forms/{form_id}",
        json={"email": f"visitor-{uuid.uuid4().hex[:10]}@example.com"},
    )
    assert captured.status_code == 201, captured.text
    return code


def test_an_importer_killed_mid_file_is_taken_over_and_imports_no_row_twice(
    system: System,
) -> None:
    """A file uploaded through the gateway; its importer is killed after a few batches; the
    next importer takes the import over once the lease is past and goes on from the last
    batch written: every row once, one CustomerRegistered each."""
    rows = 3000
    slow = {"CRM_CUSTOMER_IMPORT_BATCH_SIZE": "50", "CRM_CUSTOMER_IMPORT_LEASE_SECONDS": "3"}
    system.run("customer-api", "customer", "api")
    importer = system.run("importer", "customer", "importer", env=slow)
    start(system)
    content = "name,email,city\n" + "".join(
        f"Guest {n},fault-guest-{n}@example.com,Hangzhou\n" for n in range(rows)
    )
    with httpx.Client(base_url=system.stack.api, headers=system.stack.headers(), timeout=10) as api:
        started = api.post(
            "/api/v1/customers/imports", content=content, headers={"Content-Type": "text/csv"}
        )
        assert started.status_code == 202, started.text
        location = started.headers["Location"]

        def done() -> int:
            return int(api.get(location).json()["done"])

        system.wait_until(lambda: done() >= 200, timeout=60, what="a few batches imported")
        importer.kill()
        halfway = done()
        assert halfway < rows
        system.run("importer-2", "customer", "importer", env=slow)
        system.wait_until(
            lambda: api.get(location).json()["status"] == "done",
            timeout=120,
            what="the next importer to finish the file",
        )
        job = api.get(location).json()

    assert (job["done"], job["accepted"], job["rejected"]) == (rows, rows, 0)
    emails = system.rows(
        "customer", "SELECT email FROM customers WHERE email LIKE 'fault-guest-%%'"
    )
    assert len(emails) == len({email for (email,) in emails}) == rows
    registered = system.rows(
        "customer", "SELECT count(*) FROM outbox WHERE event_type LIKE '%%CustomerRegistered'"
    )
    assert registered == [(rows,)]


def relay_killed_between_publishing_and_marking(
    system: System, service: str, records: list[str], events_per_record: int
) -> None:
    """A relay of `service` publishes a batch, has it confirmed and is killed before marking
    it; the next relay publishes those events again and analytics' inbox absorbs them: every
    event of the `records` made beforehand reaches the consumer once."""
    halted = system.run("halted-relay", service, "relay", env={HALT_BEFORE_MARKING: "1"})

    def published_not_marked() -> set[str]:
        return pending_outbox(system, service) & inbox_events(system)

    system.wait_until(
        lambda: bool(published_not_marked()), timeout=30, what="a published, unmarked event"
    )
    halted.kill()
    republished = published_not_marked()
    system.run("relay", service, "relay")
    system.wait_until(
        lambda: not pending_outbox(system, service),
        timeout=SETTLE_TIMEOUT,
        what=f"the relay to publish every {service} event",
    )
    system.wait_until(
        lambda: outbox_events(system, service) <= inbox_events(system),
        timeout=SETTLE_TIMEOUT,
        what=f"analytics to record every {service} event",
    )
    system.wait_until(
        lambda: system.consumer_outcomes("analytics", "duplicate") >= len(republished),
        timeout=30,
        what=f"{len(republished)} duplicates absorbed by the inbox",
    )
    assert len(outbox_events(system, service)) == events_per_record * len(records)


def test_a_partner_relay_killed_between_publishing_and_marking_republishes_and_nothing_doubles(
    system: System,
) -> None:
    """The partner directory and its outsourcing: each event reaches the consumer once,
    however often the relay publishes it."""
    system.run("partner-api", "partner", "api")
    start(system, analytics=("analytics", "all"))
    with httpx.Client(base_url=system.stack.api, headers=system.stack.headers(), timeout=10) as api:
        # 2 events each wait in the outbox: the partner registered, the work offered to it
        assignments = [add_partner_and_outsource(api, n) for n in range(12)]
        relay_killed_between_publishing_and_marking(system, "partner", assignments, 2)
        for assignment_id in assignments:
            offered = api.get(f"/api/v1/partners/assignments/{assignment_id}").json()
            assert (offered["state"], offered["version"]) == ("offered", 1)


def add_partner_and_outsource(api: httpx.Client, n: int) -> str:
    partner = api.post(
        "/api/v1/partners", json={"name": f"Partner {n}", "capacity": 1, "capabilities": ["fit"]}
    )
    assert partner.status_code == 201, partner.text
    offered = api.post(
        "/api/v1/partners/assignments",
        json={"work_kind": "order", "work_id": str(uuid.uuid4()),
              "partner_id": partner.json()["id"]},
    )  # fmt: skip
    assert offered.status_code == 201, offered.text
    assignment_id: str = offered.json()["id"]
    return assignment_id
