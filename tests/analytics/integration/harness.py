"""The analytics service running in this process against real servers, and what tests drive it
with: customer events published on crm.events as the customer service's relay would."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime

import pika
from crm_analytics.entrypoints.consumer import HANDLERS
from crm_platform import amqp
from crm_platform.events import CONTENT_TYPE, decode, load_event_types, source_of, to_cloudevent
from crm_platform.runner import ServiceApp
from crm_platform.testing.processes import wait_until
from crm_platform.testing.tokens import authorized_channel, staff_token
from crm_proto.crm.analytics.v1 import analytics_pb2, analytics_pb2_grpc
from crm_proto.io.cloudevents.v1 import cloudevents_pb2
from google.protobuf.message import Message

WAIT_SECONDS = 15.0


class EventPublisher:
    """Publishes CloudEvents with publisher confirms, after declaring the consumer's queue
    (the analytics one unless told), as `source`'s relay would."""

    def __init__(
        self,
        amqp_url: str,
        subscription: amqp.Subscription = HANDLERS.subscription,
        source: str = "customer",
    ) -> None:
        self.connection = amqp.connect(amqp_url)
        self.channel = self.connection.channel()
        self.channel.confirm_delivery()
        self.source = source
        amqp.declare_subscription(self.channel, subscription)

    def publish(
        self, message: Message, *, subject: str, time: datetime | None = None
    ) -> cloudevents_pb2.CloudEvent:
        envelope = to_cloudevent(message, source=source_of(self.source), subject=subject, time=time)
        self.publish_envelope(envelope)
        return envelope

    def publish_envelope(self, envelope: cloudevents_pb2.CloudEvent) -> None:
        """Publish an event as it is, so publishing it again is a redelivery of the same event."""
        self.channel.basic_publish(
            amqp.EXCHANGE,
            envelope.type,
            envelope.SerializeToString(),
            properties=pika.BasicProperties(
                content_type=CONTENT_TYPE,
                delivery_mode=pika.DeliveryMode.Persistent,
                message_id=envelope.id,
                type=envelope.type,
            ),
            mandatory=True,
        )

    def close(self) -> None:
        self.connection.close()


class RunningAnalytics:
    """The service's api and consumer roles on threads, as `crm-analytics all` runs them."""

    def __init__(self, app: ServiceApp) -> None:
        self.app = app
        self.stop = threading.Event()
        self.threads = [
            threading.Thread(target=role, args=(self.stop,), name=name, daemon=True)
            for name, role in [("readiness", app.readiness.run), *app.roles.items()]
        ]
        # an analyst's token on every call, as the portal forwards it
        self.channel = authorized_channel(
            f"127.0.0.1:{app.settings.port}", staff_token("analyst", subject="test-analyst")
        )
        self.stub = analytics_pb2_grpc.AnalyticsServiceStub(self.channel)
        # a marketer's, for the rule segments
        self.marketer_channel = authorized_channel(
            f"127.0.0.1:{app.settings.port}", staff_token("marketer", subject="test-marketer")
        )
        self.segments_stub = analytics_pb2_grpc.SegmentServiceStub(self.marketer_channel)

    def start(self) -> RunningAnalytics:
        for thread in self.threads:
            thread.start()
        return self

    def segments(self) -> analytics_pb2.DemographicSegments:
        return self.stub.GetDemographicSegments(
            analytics_pb2.GetDemographicSegmentsRequest(), timeout=5, wait_for_ready=True
        )

    def wait_for(
        self, predicate: Callable[[analytics_pb2.DemographicSegments], bool], what: str
    ) -> analytics_pb2.DemographicSegments:
        wait_until(lambda: predicate(self.segments()), timeout=WAIT_SECONDS, what=what)
        return self.segments()

    def close(self) -> None:
        self.channel.close()
        self.marketer_channel.close()
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=20)
        for hook in self.app.on_stop:
            hook()


class EventObserver:
    """An outside subscriber: its own queue on crm.events, bound to `patterns`."""

    def __init__(self, amqp_url: str, *patterns: str) -> None:
        self.connection = amqp.connect(amqp_url)
        self.channel = self.connection.channel()
        self.subscription = amqp.Subscription(f"observer-{uuid.uuid4().hex[:8]}", patterns)
        amqp.declare_subscription(self.channel, self.subscription)
        load_event_types()
        self.seen: list[Message] = []

    def drain(self) -> list[Message]:
        """Every event that arrived so far, decoded, in order of arrival."""
        while True:
            method, _properties, body = self.channel.basic_get(self.subscription.queue)
            if method is None:
                return self.seen
            self.seen.append(decode(body).message)
            self.channel.basic_ack(method.delivery_tag)

    def wait_for(self, predicate: Callable[[Message], bool], what: str) -> Message:
        found: list[Message] = []

        def arrived() -> bool:
            found[:] = [message for message in self.drain() if predicate(message)]
            return bool(found)

        wait_until(arrived, timeout=WAIT_SECONDS, what=what)
        return found[0]

    def close(self) -> None:
        self.channel.queue_delete(self.subscription.queue)
        self.channel.queue_delete(self.subscription.dead_letter_queue)
        self.connection.close()


def counts(entries: Iterable[analytics_pb2.SegmentCount]) -> dict[str, int]:
    return {entry.key: entry.count for entry in entries}
