"""What the fault-injection tests share: a system whose processes each test lays out (which
roles run as which processes, which of them reach the broker or their database through a
proxy), a steady stream of writes through the gateway, and the count that proves nothing was
lost and nothing applied twice."""

from __future__ import annotations

import threading
import urllib.parse
import uuid
from collections import Counter
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import pika
import psycopg
from crm_platform import amqp
from crm_platform.events import CONTENT_TYPE
from crm_platform.testing.processes import ServiceProcess, Watched, free_port, wait_until
from crm_platform.testing.proxy import FaultProxy
from prometheus_client.parser import text_string_to_metric_families

from tests.system.stack import Stack

ANALYTICS_CONSUMER = "analytics"
SETTLE_TIMEOUT = 60.0


class HoldingProxy(FaultProxy):
    """A FaultProxy that can also hold one direction of its connections: bytes stop flowing
    that way (they wait unread in the kernel's buffers) while the other direction flows on.

    Holding "up" (client -> server) keeps a consumer's acks from the broker. The chunk in
    flight when the hold begins still passes: a pump stops after forwarding, before it reads
    again.
    """

    def __init__(self, target_host: str, target_port: int) -> None:
        super().__init__(target_host, target_port)
        self._open = {"up": threading.Event(), "down": threading.Event()}
        self.release()

    def hold(self, direction: str) -> None:
        self._open[direction].clear()

    def release(self) -> None:
        for gate in self._open.values():
            gate.set()

    def stop(self) -> None:
        self.release()
        super().stop()

    def _count(self, size: int) -> None:
        super()._count(size)
        # Called by the pump threads, named proxy-up and proxy-down, after each chunk.
        gate = self._open.get(threading.current_thread().name.removeprefix("proxy-"))
        if gate is not None:
            gate.wait()


@dataclass
class System:
    """A stack whose processes the test starts one by one."""

    stack: Stack
    proxies: list[FaultProxy] = field(default_factory=list)

    def broker_proxy(self, kind: type[FaultProxy] = FaultProxy) -> FaultProxy:
        parts = urllib.parse.urlsplit(self.stack.amqp_url)
        return self._keep(kind(parts.hostname or "127.0.0.1", parts.port or 5672))

    def database_proxy(self, service: str) -> FaultProxy:
        return self._keep(FaultProxy.for_url(self.stack.database_urls[service]))

    def _keep(self, proxy: FaultProxy) -> FaultProxy:
        self.proxies.append(proxy.start())
        return proxy

    def run(
        self,
        name: str,
        service: str,
        role: str = "all",
        *,
        broker: FaultProxy | None = None,
        database: FaultProxy | None = None,
        env: Mapping[str, str] | None = None,
    ) -> ServiceProcess:
        """Start `crm-<service> <role>` as `name`, with its own metrics port, optionally
        reaching the broker or its database through a proxy, and with more `env`."""
        prefix = f"CRM_{service.upper()}_"
        port = free_port()
        self.stack.ports[f"{name}_metrics"] = port
        env = {**(env or {}), f"{prefix}METRICS_PORT": str(port)}
        if broker is not None:
            env["CRM_AMQP_URL"] = broker.rewrite(self.stack.amqp_url)
        if database is not None:
            env[f"{prefix}DATABASE_URL"] = database.rewrite(self.stack.database_urls[service])
        return self.stack.start(name, service, role, env)

    def run_portal(self) -> ServiceProcess:
        """The gateway, and identity (logins, token keys) when it is not running yet."""
        if "identity" not in self.stack.processes:
            self.run("identity", "identity", "api")
        # The stream writes as one caller, faster than the API's default limit per caller.
        return self.stack.start(
            "portal", "portal", "api", {"CRM_PORTAL_RATE_LIMIT": "100000/minute"}
        )

    def writer(self, *, threads: int = 2) -> Writer:
        """A stream of writes as the bootstrap admin (start it once the portal is ready)."""
        return Writer(
            self.stack.api,
            self.stack.headers(),
            threads=threads,
            watching=self.stack.processes.values(),
        )

    def ready_url(self, name: str) -> str:
        if name == "portal":
            return f"{self.stack.api}/readyz"
        return f"{self.stack.metrics_url(name)}/readyz"

    def wait_ready(self, *names: str, timeout: float = 60.0) -> None:
        for name in names or tuple(self.stack.processes):
            self.stack.wait_ready(name, self.ready_url(name), timeout=timeout)

    def wait_until(self, predicate: Callable[[], bool], *, timeout: float, what: str) -> None:
        """Poll `predicate`; a process of the system that died unasked ends the wait at once."""
        self.stack.wait_until(predicate, timeout=timeout, what=what)

    def restart(self, name: str) -> None:
        self.stack.processes[name].start()
        self.wait_ready(name)

    def counter(self, name: str, metric: str, **labels: str) -> float:
        """The sum of a counter's samples in process `name` that carry `labels`."""
        text = httpx.get(f"{self.stack.metrics_url(name)}/metrics", timeout=5).text
        return sum(
            sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
            if sample.name == f"{metric}_total"
            and all(sample.labels.get(k) == v for k, v in labels.items())
        )

    def consumer_outcomes(self, name: str, outcome: str) -> int:
        return int(
            self.counter(
                name, "crm_consumer_messages", consumer=ANALYTICS_CONSUMER, outcome=outcome
            )
        )

    def rows(self, service: str, query: str, *params: Any) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.stack.database_urls[service]) as connection:
            return connection.execute(query, params).fetchall()

    def execute(self, service: str, statement: str) -> None:
        with psycopg.connect(self.stack.database_urls[service], autocommit=True) as connection:
            connection.execute(statement)

    def close(self) -> None:
        for proxy in self.proxies:
            proxy.stop()


def new_person(region: str) -> dict[str, Any]:
    unique = uuid.uuid4().hex[:12]
    return {
        "kind": "person",
        "name": f"Customer {unique}",
        "email": f"{unique}@example.com",
        "region": region,
        "city": "Hangzhou",
        "gender": "female",
        "birth_date": "1990-04-01",
        "source": "web",
    }


class Writer:
    """A steady stream of customers created through the gateway, from a few threads.

    Keeps the id of every customer the gateway answered 201 for, and tallies everything else
    (other statuses, connection errors): while a fault lasts some writes fail, none may vanish.
    """

    def __init__(
        self,
        api: str,
        headers: dict[str, str],
        *,
        threads: int = 2,
        pause: float = 0.04,
        watching: Collection[Watched] = (),
    ) -> None:
        self.api = api
        self.headers = headers
        self.watching = watching  # the processes the writes go through
        self.region = f"region-{uuid.uuid4().hex[:8]}"
        self.pause = pause
        self.accepted: list[str] = []
        self.refused: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._write, name=f"writer-{i}", daemon=True)
            for i in range(threads)
        ]

    def __enter__(self) -> Writer:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)

    @property
    def count(self) -> int:
        with self._lock:
            return len(self.accepted)

    def wait_for_more(self, more: int, *, timeout: float = 30.0) -> None:
        """Wait until `more` further writes have been accepted."""
        target = self.count + more
        wait_until(
            lambda: self.count >= target,
            timeout=timeout,
            what=f"{target} writes accepted",
            watching=self.watching,
        )

    def _write(self) -> None:
        with httpx.Client(base_url=self.api, headers=self.headers, timeout=15) as client:
            while not self._stop.is_set():
                try:
                    response = client.post("/api/v1/customers", json=new_person(self.region))
                except httpx.HTTPError as exc:
                    outcome = type(exc).__name__
                else:
                    if response.status_code == 201:
                        with self._lock:
                            self.accepted.append(response.json()["id"])
                        outcome = ""
                    else:
                        outcome = str(response.status_code)
                if outcome:
                    with self._lock:
                        self.refused[outcome] += 1
                self._stop.wait(self.pause)


def pending_outbox(system: System, service: str = "customer") -> set[str]:
    rows = system.rows(service, "SELECT event_id FROM outbox WHERE published_at IS NULL")
    return {row[0] for row in rows}


def outbox_events(system: System, service: str = "customer") -> set[str]:
    return {row[0] for row in system.rows(service, "SELECT event_id FROM outbox")}


def inbox_events(system: System) -> set[str]:
    rows = system.rows(
        "analytics", "SELECT event_id FROM inbox WHERE consumer = %s", ANALYTICS_CONSUMER
    )
    return {row[0] for row in rows}


def customers(system: System) -> set[str]:
    return {str(row[0]) for row in system.rows("customer", "SELECT id FROM customers")}


def counted_facts(system: System) -> list[str]:
    rows = system.rows(
        "analytics",
        "SELECT customer_id FROM customer_facts "
        "WHERE registered_at IS NOT NULL AND merged_into IS NULL",
    )
    return [row[0] for row in rows]


def segments(system: System) -> dict[str, Any]:
    response = httpx.get(
        f"{system.stack.api}/api/v1/analytics/segments/demographics",
        headers=system.stack.headers(),
        timeout=10,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def region_count(body: dict[str, Any], region: str) -> int:
    return next((c["count"] for c in body["by_region"] if c["key"] == region), 0)


def assert_nothing_lost_nothing_twice(system: System, writer: Writer) -> None:
    """Once the system has settled: every customer the gateway accepted is in the customer
    database; every outbox event is published and in the analytics inbox exactly once; the
    read model counts every customer once; the segments over REST say the same."""
    system.wait_until(
        lambda: not pending_outbox(system),
        timeout=SETTLE_TIMEOUT,
        what="the relay to publish every outbox row",
    )
    system.wait_until(
        lambda: inbox_events(system) == outbox_events(system),
        timeout=SETTLE_TIMEOUT,
        what="analytics to apply every published event",
    )
    accepted = set(writer.accepted)
    assert accepted, "the stream wrote nothing"
    assert len(accepted) == len(writer.accepted), "the gateway answered 201 twice for one id"
    source = customers(system)
    assert accepted <= source, f"accepted but not stored: {sorted(accepted - source)[:5]}"

    outbox = outbox_events(system)
    inbox = inbox_events(system)
    assert inbox == outbox, (
        f"{len(outbox - inbox)} events not applied, {len(inbox - outbox)} unknown events applied"
    )
    facts = counted_facts(system)
    assert len(facts) == len(set(facts))
    assert set(facts) == source, (
        f"{len(source - set(facts))} customers missing from the read model, "
        f"{len(set(facts) - source)} counted that do not exist"
    )
    body = segments(system)
    assert body["total_customers"] == len(source)
    assert region_count(body, writer.region) == len(source)


def publish_copies(amqp_url: str, rows: list[tuple[str, str, bytes]], copies: int) -> int:
    """Publish `copies` more copies of each (event id, event type, CloudEvent) to crm.events,
    with confirms, back to back; returns how many were published."""
    connection = amqp.connect(amqp_url)
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        published = 0
        for event_id, event_type, payload in rows:
            for _ in range(copies):
                channel.basic_publish(
                    amqp.EXCHANGE,
                    event_type,
                    payload,
                    properties=pika.BasicProperties(
                        content_type=CONTENT_TYPE,
                        delivery_mode=pika.DeliveryMode.Persistent,
                        message_id=event_id,
                        type=event_type,
                    ),
                    mandatory=True,
                )
                published += 1
        return published
    finally:
        connection.close()
