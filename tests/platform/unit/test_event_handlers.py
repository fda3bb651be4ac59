"""A consumer's one table: its handlers, and the queue bindings made from it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from crm_platform.consumer import EventHandlers
from crm_platform.events import Event, event_type
from google.protobuf.message import Message
from google.protobuf.wrappers_pb2 import Int64Value, StringValue


def event_of(message: Message) -> Event:
    return Event("e-1", event_type(message), "/crm/test", "s-1", datetime.now(UTC), message)


def test_the_queue_is_bound_to_the_types_the_table_handles() -> None:
    table = EventHandlers[list[str]]("billing")
    table.on(StringValue, lambda uow, message, event: None)
    table.on(Int64Value, lambda uow, message, event: None)

    subscription = table.subscription

    assert subscription.queue == "billing.events"
    assert subscription.patterns == ("google.protobuf.Int64Value", "google.protobuf.StringValue")
    assert set(table.handlers) == set(subscription.patterns)


def test_a_consumer_of_every_event_is_bound_to_all_of_them() -> None:
    table = EventHandlers[list[str]]("audit", every_event=True)
    table.on(StringValue, lambda uow, message, event: None)

    assert table.subscription.patterns == ("crm.#",)


def test_a_handler_gets_the_unit_the_typed_message_and_the_event() -> None:
    table = EventHandlers[list[str]]("billing")
    table.on(StringValue, lambda uow, message, event: uow.append(f"{message.value}/{event.id}"))
    seen: list[str] = []
    event = event_of(StringValue(value="hello"))

    table.handlers[event.type](seen, event)  # type: ignore[arg-type]  # any unit will do

    assert seen == ["hello/e-1"]


def test_a_type_has_one_handler() -> None:
    table = EventHandlers[list[str]]("billing")
    table.on(StringValue, lambda uow, message, event: None)

    with pytest.raises(ValueError, match="already has a handler"):
        table.on(StringValue, lambda uow, message, event: None)
