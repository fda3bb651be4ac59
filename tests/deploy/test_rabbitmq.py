"""The RabbitMQ definitions file matches the topology the chassis declares (crm_platform.amqp):
declaring a queue or exchange with other arguments than the broker already has fails with
PRECONDITION_FAILED, so the two must agree exactly."""

from __future__ import annotations

import base64
import hashlib
import importlib
import json
from typing import Any

import pytest
from crm_platform import amqp, registry

from tests.deploy.support import DEPLOY

DEFINITIONS = DEPLOY / "rabbitmq" / "definitions.json"
DEV_USERS = DEPLOY / "rabbitmq" / "dev-users.json"


@pytest.fixture(scope="module")
def definitions() -> dict[str, Any]:
    document = json.loads(DEFINITIONS.read_text())
    assert isinstance(document, dict)
    return document


def test_exchanges(definitions: dict[str, Any]) -> None:
    exchanges = {e["name"]: e for e in definitions["exchanges"]}
    assert set(exchanges) == {amqp.EXCHANGE, amqp.DEAD_LETTER_EXCHANGE}
    assert exchanges[amqp.EXCHANGE]["type"] == "topic"
    assert exchanges[amqp.DEAD_LETTER_EXCHANGE]["type"] == "direct"
    for exchange in exchanges.values():
        assert exchange["durable"] is True
        assert exchange["auto_delete"] is False
        assert exchange["arguments"] == {}


def test_event_log_stream(definitions: dict[str, Any]) -> None:
    queues = {q["name"]: q for q in definitions["queues"]}
    stream = queues[amqp.EVENT_LOG_STREAM]
    assert stream["durable"] is True
    assert stream["arguments"] == {
        "x-queue-type": "stream",
        "x-max-length-bytes": amqp.EVENT_LOG_MAX_BYTES,
        "x-max-age": amqp.EVENT_LOG_MAX_AGE,
    }
    bindings = [b for b in definitions["bindings"] if b["destination"] == amqp.EVENT_LOG_STREAM]
    assert [(b["source"], b["routing_key"]) for b in bindings] == [(amqp.EXCHANGE, "#")]


def test_consumer_queues_match_the_chassis(definitions: dict[str, Any]) -> None:
    queues = {q["name"]: q for q in definitions["queues"]}
    consumers = [n.removesuffix(".events") for n in queues if n.endswith(".events")]
    assert "analytics" in consumers
    for consumer in consumers:
        patterns = tuple(
            b["routing_key"]
            for b in definitions["bindings"]
            if b["destination"] == amqp.queue_name(consumer) and b["source"] == amqp.EXCHANGE
        )
        subscription = amqp.Subscription(consumer, patterns)
        assert queues[subscription.queue]["arguments"] == subscription.queue_arguments()
        assert queues[subscription.dead_letter_queue]["arguments"] == {"x-queue-type": "quorum"}
        dead_letter_bindings = [
            (b["source"], b["routing_key"])
            for b in definitions["bindings"]
            if b["destination"] == subscription.dead_letter_queue
        ]
        assert dead_letter_bindings == [(amqp.DEAD_LETTER_EXCHANGE, subscription.dead_letter_queue)]
    consuming = sorted(spec.name for spec in registry.SERVICES if spec.consumes)
    assert sorted(consumers) == consuming, "one queue per consuming service of the registry"
    for queue in queues.values():
        assert queue["durable"] is True
        assert queue["auto_delete"] is False


def test_topology_file_has_no_users(definitions: dict[str, Any]) -> None:
    """definitions.json is safe to import into any cluster; dev users live in dev-users.json."""
    assert "users" not in definitions
    assert "permissions" not in definitions
    assert {p["apply-to"] for p in definitions["policies"]} <= {
        "queues", "quorum_queues", "classic_queues", "streams", "exchanges", "all",
    }  # fmt: skip


def test_dev_user_password_hash() -> None:
    users = json.loads(DEV_USERS.read_text())
    (user,) = users["users"]
    assert user["hashing_algorithm"] == "rabbit_password_hashing_sha256"
    raw = base64.b64decode(user["password_hash"])
    salt, digest = raw[:4], raw[4:]
    assert hashlib.sha256(salt + b"crm").digest() == digest, "dev user crm's password is crm"


@pytest.mark.parametrize("service", [spec.name for spec in registry.SERVICES if spec.consumes])
def test_bindings_match_the_consumers_subscription(
    definitions: dict[str, Any], service: str
) -> None:
    """The queue's bindings are the patterns of the consuming service's consumer table."""
    consumer = importlib.import_module(f"crm_{service}.entrypoints.consumer")
    subscription: amqp.Subscription = consumer.HANDLERS.subscription
    bindings = sorted(
        b["routing_key"]
        for b in definitions["bindings"]
        if b["destination"] == subscription.queue and b["source"] == amqp.EXCHANGE
    )
    assert bindings == sorted(subscription.patterns)
    queues = {q["name"]: q for q in definitions["queues"]}
    assert queues[subscription.queue]["arguments"] == subscription.queue_arguments()
