"""The wired application: its gRPC role serves, reports health, and its relay role delivers the
committed events to RabbitMQ."""

from __future__ import annotations

import threading
from pathlib import Path

import pika
import pytest
from crm_customer.bootstrap import SERVICE
from crm_customer.config import MIGRATIONS_DIR, SERVICE_NAME, CustomerSettings
from crm_customer.entrypoints.grpc_api import SERVICE_NAME as GRPC_SERVICE
from crm_platform import amqp
from crm_platform.events import decode
from crm_platform.migrations import upgrade
from crm_platform.testing.processes import free_port, wait_until
from crm_platform.testing.tokens import ADMIN_SUBJECT, admin_token, authorized_channel, write_jwks
from crm_proto.crm.customer.v1 import customer_pb2, customer_pb2_grpc, events_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc

pytestmark = pytest.mark.integration


def test_the_app_serves_requests_and_relays_their_events(
    postgres_url: str, amqp_url: str, tmp_path: Path
) -> None:
    upgrade(MIGRATIONS_DIR, postgres_url)
    port = free_port()
    settings = CustomerSettings.from_env(
        SERVICE_NAME,
        {
            "CRM_CUSTOMER_DATABASE_URL": postgres_url,
            "CRM_AMQP_URL": amqp_url,
            "CRM_CUSTOMER_PORT": str(port),
            "CRM_CUSTOMER_METRICS_PORT": "0",
            "CRM_JWKS_FILE": str(write_jwks(tmp_path / "jwks.json")),
        },
    )
    app = SERVICE.build(settings)
    broker = pika.BlockingConnection(pika.URLParameters(amqp_url))
    subscriber = broker.channel()
    amqp.declare_exchanges(subscriber)
    queue = subscriber.queue_declare("", exclusive=True).method.queue
    subscriber.queue_bind(queue, amqp.EXCHANGE, routing_key="crm.customer.v1.#")

    stop = threading.Event()
    threads = [threading.Thread(target=app.readiness.run, args=(stop,))]
    threads += [threading.Thread(target=role, args=(stop,)) for role in app.roles.values()]
    for thread in threads:
        thread.start()
    channel = authorized_channel(f"127.0.0.1:{port}", admin_token())
    try:
        health = health_pb2_grpc.HealthStub(channel)
        wait_until(
            lambda: (
                health.Check(health_pb2.HealthCheckRequest(service=GRPC_SERVICE), timeout=2).status
                == health_pb2.HealthCheckResponse.SERVING
            ),
            timeout=20,
            what="the customer service to report SERVING",
        )
        created = customer_pb2_grpc.CustomerServiceStub(channel).CreateCustomer(
            customer_pb2.CreateCustomerRequest(
                customer=customer_pb2.Customer(name="Ada", email="ada@example.com")
            ),
            timeout=10,
        )

        bodies: list[bytes] = []

        def delivered() -> bool:
            method, _properties, body = subscriber.basic_get(queue, auto_ack=True)
            if method is not None:
                bodies.append(body)
            return bool(bodies)

        wait_until(delivered, timeout=20, what="the event to reach RabbitMQ")
    finally:
        channel.close()
        stop.set()
        for thread in threads:
            thread.join(timeout=15)
        for hook in app.on_stop:
            hook()
        broker.close()

    event = decode(bodies[0])
    assert event.type == "crm.customer.v1.CustomerRegistered"
    assert event.source == "/crm/customer"
    assert event.subject == created.id
    assert isinstance(event.message, events_pb2.CustomerRegistered)
    assert event.message.customer.id == created.id
    assert event.message.actor.subject == ADMIN_SUBJECT
