"""Events on the wire: protobuf messages wrapped in CloudEvents (protobuf format).

Routing key = event type = the message's fully qualified name,
e.g. crm.customer.v1.CustomerRegistered.
"""

from __future__ import annotations

import importlib
import pkgutil
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import crm_proto.crm
from crm_proto.io.cloudevents.v1 import cloudevents_pb2
from google.protobuf import any_pb2, symbol_database
from google.protobuf.message import DecodeError, Message
from google.protobuf.timestamp_pb2 import Timestamp

CONTENT_TYPE = "application/cloudevents+protobuf"
SPEC_VERSION = "1.0"
Attr = cloudevents_pb2.CloudEvent.CloudEventAttributeValue


class UndecodableEvent(ValueError):
    """A message that is not a CloudEvent this process can read: a poison message."""


@dataclass(frozen=True)
class Event:
    id: str
    type: str
    source: str
    subject: str
    time: datetime
    message: Message


def event_type(message: Message) -> str:
    return str(message.DESCRIPTOR.full_name)


def source_of(service: str) -> str:
    return f"/crm/{service}"


def to_cloudevent(
    message: Message,
    *,
    source: str,
    subject: str,
    event_id: str | None = None,
    time: datetime | None = None,
) -> cloudevents_pb2.CloudEvent:
    payload = any_pb2.Any()
    payload.Pack(message)
    timestamp = Timestamp()
    timestamp.FromDatetime(time or datetime.now(UTC))
    return cloudevents_pb2.CloudEvent(
        id=event_id or str(uuid.uuid4()),
        source=source,
        spec_version=SPEC_VERSION,
        type=event_type(message),
        attributes={
            "time": Attr(ce_timestamp=timestamp),
            "subject": Attr(ce_string=subject),
            "datacontenttype": Attr(ce_string="application/protobuf"),
        },
        proto_data=payload,
    )


def decode(body: bytes) -> Event:
    """Parse a CloudEvent and unpack its payload; the payload's module must be imported.

    Anything that is not such an event raises UndecodableEvent, never another error: a consumer
    dead-letters it instead of failing on it again and again.
    """
    envelope = cloudevents_pb2.CloudEvent()
    try:
        envelope.ParseFromString(body)
    except DecodeError as exc:
        raise UndecodableEvent(f"not a CloudEvent: {exc}") from None
    if not envelope.id or not envelope.type or not envelope.HasField("proto_data"):
        raise UndecodableEvent("CloudEvent without id, type or proto_data")
    type_name = envelope.proto_data.TypeName()
    if type_name != envelope.type:
        raise UndecodableEvent(f"CloudEvent of type {envelope.type} carries a {type_name}")
    try:
        message_class = symbol_database.Default().GetSymbol(type_name)
    except KeyError:
        raise UndecodableEvent(f"unknown payload type {type_name}") from None
    message = message_class()
    try:
        unpacked = envelope.proto_data.Unpack(message)
    except DecodeError as exc:
        raise UndecodableEvent(f"corrupt {type_name} payload: {exc}") from None
    if not unpacked:
        raise UndecodableEvent(f"payload is not a {type_name}")
    attributes = envelope.attributes
    try:
        time = (
            attributes["time"].ce_timestamp.ToDatetime(tzinfo=UTC)
            if "time" in attributes
            else datetime.now(UTC)
        )
    except (ValueError, OverflowError) as exc:
        raise UndecodableEvent(f"bad time attribute: {exc}") from None
    subject = attributes["subject"].ce_string if "subject" in attributes else ""
    return Event(
        id=envelope.id,
        type=envelope.type,
        source=envelope.source,
        subject=subject,
        time=time,
        message=message,
    )


def load_event_types() -> None:
    """Import every domain's generated events module (crm_proto.crm.<domain>.v1.events_pb2).

    An event decodes only once its message type is loaded; a consumer loads them all, so an
    event of a domain it has no handler for is recorded and acked, not taken for poison.
    """
    for module in pkgutil.walk_packages(crm_proto.crm.__path__, prefix="crm_proto.crm."):
        if module.name.endswith(".events_pb2"):
            importlib.import_module(module.name)
