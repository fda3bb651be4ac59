"""JSON <-> proto by the message descriptors, for every gateway route.

The JSON of the API: snake_case field names (a few renamed, e.g. `acquisition_source` is
`source`), enums as their lowercase names without the enum's prefix (`ACQUISITION_SOURCE_WEB`
is "web"; the unspecified zero is null), RFC 3339 UTC times for Timestamps, 64-bit integers as
numbers, decimals as strings (they are string fields in the proto), and null for what proto3
leaves empty (an empty string, an unset message). A list answer (one repeated field beside a
`crm.common.v1.PageResponse`) is `{"items": [...], "next_page_token": ...}`; a message field
named in `inline` is answered as its own fields beside the others (a new machine client and
its secret side by side).

Reading JSON refuses unknown fields and wrong types, naming the field as the client wrote it;
strings are stripped of surrounding whitespace. The field rules (`crm.common.v1.rules`) are
checked afterwards, on the message, by `crm_platform.validation`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from crm_platform import enums
from google.protobuf.descriptor import Descriptor, EnumDescriptor, FieldDescriptor
from google.protobuf.message import Message

Json = dict[str, Any]

TIMESTAMP = "google.protobuf.Timestamp"
PAGE_RESPONSE = "crm.common.v1.PageResponse"
PAGE_ITEMS = "items"
NEXT_PAGE_TOKEN = "next_page_token"  # noqa: S105 - a field name

_INT_RANGES = {
    FieldDescriptor.TYPE_INT32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_SINT32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_SFIXED32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_UINT32: (0, 2**32 - 1),
    FieldDescriptor.TYPE_FIXED32: (0, 2**32 - 1),
    FieldDescriptor.TYPE_INT64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_SINT64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_SFIXED64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_UINT64: (0, 2**64 - 1),
    FieldDescriptor.TYPE_FIXED64: (0, 2**64 - 1),
}
_FLOATS = {FieldDescriptor.TYPE_FLOAT, FieldDescriptor.TYPE_DOUBLE}
_INDEX = re.compile(r"^(?P<name>\w+)(?P<index>(?:\[[^\]]*\])*)$")


# -- descriptors ----------------------------------------------------------------------------------


def descriptor_of(message: Message) -> Descriptor:
    """The message's descriptor, typed as the pure-Python one (upb's has the same interface)."""
    found: Descriptor = message.DESCRIPTOR  # type: ignore[assignment]
    return found


def message_of(descriptor: FieldDescriptor) -> Descriptor:
    """The message type of a message (or map) field."""
    message = descriptor.message_type
    assert message is not None, descriptor.full_name
    return message


def enum_of(descriptor: FieldDescriptor) -> EnumDescriptor:
    enum = descriptor.enum_type
    assert enum is not None, descriptor.full_name
    return enum


def is_map(descriptor: FieldDescriptor) -> bool:
    message = descriptor.message_type
    return message is not None and message.GetOptions().map_entry


def is_repeated(descriptor: FieldDescriptor) -> bool:
    return bool(descriptor.is_repeated)


def page_items(message: Descriptor) -> FieldDescriptor | None:
    """The repeated field of a list answer (beside a PageResponse), None for other messages."""
    page = message.fields_by_name.get("page")
    if page is None or page.message_type is None or page.message_type.full_name != PAGE_RESPONSE:
        return None
    repeated = [f for f in message.fields if f is not page and is_repeated(f) and not is_map(f)]
    return repeated[0] if len(repeated) == 1 and len(message.fields) == 2 else None


# -- errors while reading -----------------------------------------------------------------------


@dataclass(frozen=True)
class JsonError:
    field: str  # the JSON path the client wrote, e.g. tags[1]; "" is the document as a whole
    message: str


def json_path(parent: str, name: str) -> str:
    return f"{parent}.{name}" if parent else name


class _Invalid(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# -- the codec ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class JsonCodec:
    """`json_names`: proto field full name -> its JSON name, where they differ.
    `keyed`: repeated message fields answered as an object keyed by one enum field of the
    element, e.g. a customer's consents keyed by channel. `inline`: message fields (full
    names) of answers whose fields are answered in place of the field."""

    json_names: Mapping[str, str] = field(default_factory=dict)
    keyed: Mapping[str, str] = field(default_factory=dict)
    inline: frozenset[str] = frozenset()

    def name_of(self, descriptor: FieldDescriptor) -> str:
        return self.json_names.get(descriptor.full_name, descriptor.name)

    def fields_by_json_name(self, message: Descriptor) -> dict[str, FieldDescriptor]:
        return {self.name_of(f): f for f in message.fields}

    # -- proto -> JSON

    def to_json(self, message: Message) -> Json:
        descriptor = descriptor_of(message)
        items = page_items(descriptor)
        if items is not None:
            page = getattr(message, "page")  # noqa: B009 - a field name, known to exist
            return {
                PAGE_ITEMS: [
                    self._value_to_json(items, item) for item in getattr(message, items.name)
                ],
                NEXT_PAGE_TOKEN: page.next_page_token or None,
            }
        answered: Json = {}
        for f in descriptor.fields:
            if f.full_name in self.inline:
                answered.update(self.to_json(getattr(message, f.name)))
            else:
                answered[self.name_of(f)] = self._field_to_json(message, f)
        return answered

    def _field_to_json(self, message: Message, descriptor: FieldDescriptor) -> Any:
        value = getattr(message, descriptor.name)
        if is_map(descriptor):
            entry = message_of(descriptor).fields_by_name["value"]
            return {key: self._value_to_json(entry, item) for key, item in value.items()}
        if is_repeated(descriptor):
            key = self.keyed.get(descriptor.full_name)
            if key is not None:
                return self._keyed_to_json(value, key)
            return [self._value_to_json(descriptor, item) for item in value]
        if descriptor.message_type is not None and not message.HasField(descriptor.name):
            return None
        return self._value_to_json(descriptor, value)

    def _keyed_to_json(self, elements: Iterable[Message], key: str) -> Json:
        keyed: Json = {}
        for element in elements:
            key_field = descriptor_of(element).fields_by_name[key]
            name = enums.key(enum_of(key_field), getattr(element, key))
            if name is not None:
                rest = self.to_json(element)
                rest.pop(self.name_of(key_field))
                keyed[name] = rest
        return keyed

    def _value_to_json(self, descriptor: FieldDescriptor, value: Any) -> Any:
        if descriptor.message_type is not None:
            if descriptor.message_type.full_name == TIMESTAMP:
                return value.ToJsonString()
            return self.to_json(value)
        if descriptor.enum_type is not None:
            return enums.key(descriptor.enum_type, value)
        if descriptor.type == FieldDescriptor.TYPE_STRING:
            return value or None
        return value

    # -- JSON -> proto

    def set_fields(
        self,
        message: Message,
        data: Mapping[str, Any],
        *,
        at: str = "",
        allowed: Iterable[str] | None = None,
        errors: list[JsonError],
        text: bool = False,
    ) -> None:
        """Set `message`'s fields from `data` (JSON names); null leaves a field empty. Unknown
        fields (or ones outside `allowed`) and wrong types are added to `errors`. With `text`,
        the values are query-string text ("20" for 20, "true" for true)."""
        by_name = self.fields_by_json_name(descriptor_of(message))
        if allowed is not None:
            by_name = {name: f for name, f in by_name.items() if name in set(allowed)}
        for name, value in data.items():
            where = json_path(at, name)
            descriptor = by_name.get(name)
            if descriptor is None:
                errors.append(JsonError(where, "is not a field of this request"))
            elif value is not None:
                self._set_field(message, descriptor, value, where, errors, text=text)

    def _set_field(
        self,
        message: Message,
        descriptor: FieldDescriptor,
        value: Any,
        where: str,
        errors: list[JsonError],
        *,
        text: bool,
    ) -> None:
        target = getattr(message, descriptor.name)
        if is_map(descriptor):
            if not isinstance(value, dict):
                errors.append(JsonError(where, "must be an object"))
                return
            entry = message_of(descriptor).fields_by_name["value"]
            for key, item in value.items():
                converted = self._converted(entry, item, f'{where}["{key}"]', errors, text=text)
                if converted is not _MISSING:
                    _store(target, key, entry, converted)
            return
        if is_repeated(descriptor):
            if not isinstance(value, list):
                errors.append(JsonError(where, "must be a list"))
                return
            for index, item in enumerate(value):
                converted = self._converted(
                    descriptor, item, f"{where}[{index}]", errors, text=text
                )
                if converted is not _MISSING:
                    if descriptor.message_type is not None:
                        target.add().CopyFrom(converted)
                    else:
                        target.append(converted)
            return
        converted = self._converted(descriptor, value, where, errors, text=text)
        if converted is _MISSING:
            return
        if descriptor.message_type is not None:
            target.CopyFrom(converted)
        else:
            setattr(message, descriptor.name, converted)

    def _converted(
        self,
        descriptor: FieldDescriptor,
        value: Any,
        where: str,
        errors: list[JsonError],
        *,
        text: bool,
    ) -> Any:
        try:
            return self._value_from_json(descriptor, value, where, errors, text=text)
        except _Invalid as invalid:
            errors.append(JsonError(where, invalid.message))
            return _MISSING

    def _value_from_json(
        self,
        descriptor: FieldDescriptor,
        value: Any,
        where: str,
        errors: list[JsonError],
        *,
        text: bool,
    ) -> Any:
        message_type = descriptor.message_type
        if message_type is not None and message_type.full_name == TIMESTAMP:
            return _timestamp(descriptor, value)
        if message_type is not None:
            if not isinstance(value, dict):
                raise _Invalid("must be an object")
            from google.protobuf import message_factory

            nested = message_factory.GetMessageClass(message_type)()
            self.set_fields(nested, value, at=where, errors=errors, text=text)
            return nested
        if descriptor.enum_type is not None:
            names = enums.keys(descriptor.enum_type)
            number = enums.number(descriptor.enum_type, value) if isinstance(value, str) else None
            if number is None:
                raise _Invalid(f"must be one of: {', '.join(names)}")
            return number
        return _scalar(descriptor, value, text=text)


_MISSING: Any = object()


def _store(target: Any, key: str, entry: FieldDescriptor, value: Any) -> None:
    if entry.message_type is not None:
        target[key].CopyFrom(value)
    else:
        target[key] = value


def _scalar(descriptor: FieldDescriptor, value: Any, *, text: bool) -> Any:
    kind = descriptor.type
    if kind == FieldDescriptor.TYPE_STRING:
        if not isinstance(value, str):
            raise _Invalid("must be a string")
        return value.strip()
    if kind == FieldDescriptor.TYPE_BOOL:
        if text and value in ("true", "false"):
            return value == "true"
        if not isinstance(value, bool):
            raise _Invalid("must be true or false")
        return value
    if kind in _INT_RANGES:
        if text and isinstance(value, str) and re.fullmatch(r"-?[0-9]{1,20}", value):
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise _Invalid("must be an integer")
        low, high = _INT_RANGES[kind]
        if not low <= value <= high:
            raise _Invalid(f"must be between {low} and {high}")
        return value
    if kind in _FLOATS:
        if text and isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                raise _Invalid("must be a number") from None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _Invalid("must be a number")
        return float(value)
    raise _Invalid("cannot be written as JSON")


def _timestamp(descriptor: FieldDescriptor, value: Any) -> Message:
    from google.protobuf import timestamp_pb2

    moment = None
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            moment = None
    if moment is None or moment.tzinfo is None:
        raise _Invalid("must be an RFC 3339 time with its offset, e.g. 2025-01-01T08:00:00Z")
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(moment.astimezone(UTC))
    return stamp


# -- field paths ----------------------------------------------------------------------------------


def split_path(path: str) -> list[tuple[str, str]]:
    """`customer.tags[2]` -> [("customer", ""), ("tags", "[2]")]; map keys stay with their
    field (`preferences["a.b"]`), so a dot inside a key does not split it."""
    segments: list[tuple[str, str]] = []
    for part in re.findall(r'(?:[^.\[]+)(?:\[(?:"[^"]*"|[^\]]*)\])*', path):
        match = _INDEX.match(part)
        if match is None:
            segments.append((part, ""))
        else:
            segments.append((match.group("name"), match.group("index")))
    return segments


def renamed_path(
    codec: JsonCodec, message: Descriptor, path: str, prefixes: Mapping[str, str]
) -> str:
    """A proto field path of `message` in the JSON names the client sent. `prefixes` maps the
    proto path of a leading field to the JSON prefix it takes in the request: "" drops it (the
    field the body is, a query message flattened into parameters), a name replaces it (a path
    parameter)."""
    segments = split_path(path)
    names: list[str] = []
    descriptor: Descriptor | None = message
    for name, index in segments:
        found = descriptor.fields_by_name.get(name) if descriptor is not None else None
        names.append((codec.name_of(found) if found is not None else name) + index)
        descriptor = found.message_type if found is not None else None
    for depth in range(len(segments), 0, -1):
        leading = segments[:depth]
        proto_prefix = ".".join(name for name, _index in leading)
        if proto_prefix in prefixes and not any(index for _name, index in leading):
            return ".".join(
                ([prefixes[proto_prefix]] if prefixes[proto_prefix] else []) + names[depth:]
            )
    return ".".join(names)
