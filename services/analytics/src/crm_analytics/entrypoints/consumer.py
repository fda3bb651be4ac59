"""Event -> handler: the analytics subscription and the handler of each event type.

Analytics subscribes to every event; those without a handler here are recorded in the inbox and
acked.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from crm_platform.amqp import Subscription
from crm_platform.consumer import Handler
from crm_platform.events import Event, event_type
from crm_platform.uow import UnitOfWork
from crm_proto.crm.customer.v1 import events_pb2
from google.protobuf.message import Message

from crm_analytics.adapters.unit_of_work import AnalyticsUnitOfWork
from crm_analytics.config import SERVICE_NAME
from crm_analytics.service_layer import handlers
from crm_analytics.service_layer.unit_of_work import ReadModelUnit

SUBSCRIPTION = Subscription(SERVICE_NAME, ("crm.#",))

EventMessage = TypeVar("EventMessage", bound=Message)


def _on(
    message_type: type[EventMessage],
    handle: Callable[[ReadModelUnit, EventMessage, datetime], None],
) -> tuple[str, Handler]:
    def handler(uow: UnitOfWork, event: Event) -> None:
        if not isinstance(uow, AnalyticsUnitOfWork) or not isinstance(event.message, message_type):
            raise TypeError(
                f"{event.type} {event.id}: expected a {message_type.__name__} "
                "in an analytics unit of work"
            )
        handle(uow, event.message, event.time)

    return event_type(message_type()), handler


HANDLERS: dict[str, Handler] = dict(
    [
        _on(events_pb2.CustomerRegistered, handlers.customer_registered),
        _on(events_pb2.CustomerUpdated, handlers.customer_updated),
        _on(events_pb2.CustomerMerged, handlers.customer_merged),
        _on(events_pb2.CustomerBlacklisted, handlers.customer_blacklisted),
        _on(events_pb2.CustomerUnblacklisted, handlers.customer_unblacklisted),
    ]
)
