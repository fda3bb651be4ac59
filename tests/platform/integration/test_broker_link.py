"""Readiness of the relay and the consumer is their own connection's state: up once they have
connected, down while the broker is unreachable, and asking it opens no connection."""

from __future__ import annotations

import pytest
from crm_platform import amqp
from crm_platform.consumer import EventConsumer
from crm_platform.readiness import Readiness
from crm_platform.relay import OutboxRelay
from crm_platform.testing.processes import wait_until

from tests.platform.integration.conftest import Broker, Database

pytestmark = pytest.mark.integration
UNREACHABLE = "amqp://guest:guest@127.0.0.1:1/"


def test_the_relay_is_ready_once_connected_and_not_while_the_broker_is_unreachable(
    db: Database, broker: Broker, start_role
) -> None:
    connected = OutboxRelay(db.engine, broker.url, app_id="platform-test")
    cut_off = OutboxRelay(db.engine, UNREACHABLE, app_id="platform-test")
    readiness = Readiness({"broker": connected.link.check})
    assert not readiness.check_now()

    start_role(connected.run)
    start_role(cut_off.run)

    wait_until(readiness.check_now, timeout=15, what="the relay to report its connection")
    with pytest.raises(ConnectionError):
        cut_off.link.check()


def test_the_consumer_is_ready_once_it_consumes(db: Database, broker: Broker, start_role) -> None:
    consumer = EventConsumer(broker.url, amqp.Subscription("probe", ("#",)), {}, db.unit_of_work)
    stop = start_role(consumer.run)

    wait_until(lambda: _up(consumer.link), timeout=15, what="the consumer to consume")
    stop.set()
    wait_until(lambda: not _up(consumer.link), timeout=15, what="the consumer to let go")


def _up(link: amqp.BrokerLink) -> bool:
    try:
        link.check()
    except ConnectionError:
        return False
    return True
