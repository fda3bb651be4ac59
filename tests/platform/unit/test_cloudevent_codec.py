"""Events on the wire: a CloudEvent survives the round trip, and anything else is refused as
UndecodableEvent (never another error, which would leave a consumer stuck on it)."""

from __future__ import annotations

import contextlib
import random
from datetime import UTC, datetime

import pytest
from crm_platform.events import (
    SPEC_VERSION,
    UndecodableEvent,
    decode,
    event_type,
    source_of,
    to_cloudevent,
)
from crm_proto.io.cloudevents.v1 import cloudevents_pb2
from google.protobuf import any_pb2
from google.protobuf.wrappers_pb2 import Int64Value, StringValue

Attr = cloudevents_pb2.CloudEvent.CloudEventAttributeValue


def test_round_trip_keeps_every_attribute():
    time = datetime(2024, 5, 17, 9, 30, 12, 123456, tzinfo=UTC)
    envelope = to_cloudevent(
        StringValue(value="hello"), source=source_of("customer"), subject="c-1", time=time
    )
    event = decode(envelope.SerializeToString())
    assert event.id == envelope.id
    assert event.type == "google.protobuf.StringValue" == event_type(StringValue())
    assert event.source == "/crm/customer"
    assert event.subject == "c-1"
    assert event.time == time
    assert event.message == StringValue(value="hello")
    assert envelope.spec_version == SPEC_VERSION


def test_explicit_event_id_is_kept():
    envelope = to_cloudevent(Int64Value(value=7), source="/crm/x", subject="s", event_id="e-1")
    assert decode(envelope.SerializeToString()).id == "e-1"


def _envelope(**fields) -> cloudevents_pb2.CloudEvent:
    good = to_cloudevent(StringValue(value="v"), source="/crm/x", subject="s")
    for name, value in fields.items():
        if value is None:
            good.ClearField(name)
        else:
            setattr(good, name, value)
    return good


def _with_payload(type_url: str, value: bytes) -> bytes:
    envelope = _envelope()
    envelope.proto_data.CopyFrom(any_pb2.Any(type_url=type_url, value=value))
    envelope.type = type_url.rpartition("/")[2]
    return envelope.SerializeToString()


def _with_time_seconds(seconds: int) -> bytes:
    envelope = _envelope()
    envelope.attributes["time"].ce_timestamp.seconds = seconds
    return envelope.SerializeToString()


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b"\xff\xff\xff\xff", "not protobuf"),
        (b"", "empty"),
        (b'{"id": "1", "type": "x"}', "JSON, not protobuf"),
        (_envelope(id="").SerializeToString(), "no id"),
        (_envelope(type="").SerializeToString(), "no type"),
        (_envelope(proto_data=None).SerializeToString(), "no payload"),
        (_envelope(type="crm.other.v1.Thing").SerializeToString(), "type and payload disagree"),
        (_with_payload("type.googleapis.com/crm.nowhere.v1.Unknown", b""), "unknown payload"),
        (_with_payload("type.googleapis.com/google.protobuf.StringValue", b"\xff"), "corrupt"),
        (_with_time_seconds(2**62), "time out of range"),
    ],
)
def test_poison_inputs_are_undecodable(body, why):
    with pytest.raises(UndecodableEvent):
        decode(body)


def test_random_bytes_never_raise_anything_but_undecodable():
    generator = random.Random(20240517)
    good = _envelope().SerializeToString()
    for _ in range(2000):
        if generator.random() < 0.5:
            body = generator.randbytes(generator.randrange(0, 64))
        else:  # a real event with a few bytes flipped: closer to parseable
            mutable = bytearray(good)
            for _ in range(generator.randrange(1, 4)):
                mutable[generator.randrange(len(mutable))] = generator.randrange(256)
            body = bytes(mutable)
        with contextlib.suppress(UndecodableEvent):
            decode(body)
