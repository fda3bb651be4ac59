"""Request validation from the `(crm.common.v1.rules)` field options of the proto
(docs/decisions/0008-rules-and-access-in-the-proto.md).

`violations(message)` checks every field of a request, recursively: its rules, plus NUL
characters in every string (no database stores them in text) and enum numbers the contract
does not define, wherever they are. The gateway runs it on the request it builds from JSON
and every gRPC server before the handler, so both refuse the same inputs.

It runs on every call, so the rules of each message type are compiled once into a plan: a
check per field that can fail, and the fields that must be present; a call visits only the
fields its message holds (`ListFields`). A value gets at most one violation (the first rule
it breaks). Paths are dotted as in the proto: `customer.email`, `customer.tags[2]`,
`customer.preferences["lang"]`. Rules that need the domain (phone numbers, dedupe) stay there.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from crm_proto.crm.common.v1 import options_pb2
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

from crm_platform.errors import FieldViolation

NUL = "\x00"
NUL_PROBLEM = "must not contain NUL characters"
# An INVALID_ARGUMENT carries its violations twice (the message and the details) in trailers
# that a gRPC client refuses above 16 KiB (and may refuse above 8 KiB): keep them short.
MAX_VIOLATIONS = 10
KEY_SHOWN_IN_PATH = 40  # characters of a map key in a violation's path

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?")

_T = FieldDescriptor
_INTEGERS = frozenset(
    {
        _T.TYPE_INT32, _T.TYPE_INT64, _T.TYPE_UINT32, _T.TYPE_UINT64, _T.TYPE_SINT32,
        _T.TYPE_SINT64, _T.TYPE_FIXED32, _T.TYPE_FIXED64, _T.TYPE_SFIXED32, _T.TYPE_SFIXED64,
    }
)  # fmt: skip
# The rules each kind of field (or item, key or map value) may have.
_APPLICABLE = {
    "text": {"required", "min_len", "max_len", "pattern", "uuid", "email", "decimal"},
    "bytes": {"required", "max_len"},
    "an enum": {"required", "defined_enum"},
    "an integer": {"required", "min", "max", "has_min", "has_max"},
    "a message": {"required"},
    "a list": {"required", "max_items", "items"},
    "a map": {"required", "max_items", "items", "keys"},
    "a bool or a float": set(),
    "the messages of a list or map": set(),
}

Found = list[FieldViolation]
# a value -> what is wrong with it, or None
ValueCheck = Callable[[Any], str | None]
# (a set field's value, the path of the message that holds it, found)
FieldCheck = Callable[[Any, str, Found], None]


def rules_of(field: FieldDescriptor) -> options_pb2.FieldRules | None:
    """The field's `(crm.common.v1.rules)`, or None when it declares none."""
    field_options = field.GetOptions()
    if not field_options.HasExtension(options_pb2.rules):
        return None
    rules: options_pb2.FieldRules = field_options.Extensions[options_pb2.rules]
    return rules


def violations(message: Message) -> list[FieldViolation]:
    """What is wrong with a request: one violation per bad value, in field order."""
    found: Found = []
    descriptor: Descriptor = message.DESCRIPTOR  # type: ignore[assignment]  # upb's is the same
    _plan(descriptor).check(message, "", found)
    return found[:MAX_VIOLATIONS]


def prepare(descriptor: Descriptor) -> None:
    """Compile the plan of a message type now: a rule that cannot apply to its field (a length
    on a number, a pattern that is no regular expression) is a ValueError here, at start,
    instead of on the first call."""
    _plan(descriptor)


# -- plans --------------------------------------------------------------------------------------


@dataclass(eq=False)
class _Plan:
    """The checks of one message type."""

    # a set field -> its check; fields whose values cannot be wrong are left out. A singular
    # scalar's check is called here directly (one call per value: this is the hot path).
    scalars: dict[FieldDescriptor, tuple[ValueCheck, str]] = field(default_factory=dict)
    composites: dict[FieldDescriptor, FieldCheck] = field(default_factory=dict)
    # the fields that must be present: (number, name, is a singular message)
    required: tuple[tuple[int, str, bool], ...] = ()
    done: bool = False  # False while the plan is being built

    @property
    def can_fail(self) -> bool:
        return bool(self.scalars or self.composites or self.required)

    def check(self, message: Message, prefix: str, found: Found) -> None:
        missing = [
            (number, name)
            for number, name, is_message in self.required
            if not (message.HasField(name) if is_message else getattr(message, name))
        ]
        scalars, composites = self.scalars, self.composites
        for descriptor, value in message.ListFields():  # in field number order
            while missing and missing[0][0] < descriptor.number:
                found.append(FieldViolation(prefix + missing.pop(0)[1], "is required"))
            scalar = scalars.get(descriptor)
            if scalar is not None:
                problem = scalar[0](value)
                if problem is not None:
                    found.append(FieldViolation(prefix + scalar[1], problem))
                continue
            composite = composites.get(descriptor)
            if composite is not None:
                composite(value, prefix, found)
        found.extend(FieldViolation(prefix + name, "is required") for _, name in missing)


_PLANS: dict[Descriptor, _Plan] = {}
_BUILDING = threading.Lock()


def _plan(descriptor: Descriptor) -> _Plan:
    plan = _PLANS.get(descriptor)
    if plan is None:
        with _BUILDING:
            # Built aside and published whole, so no other thread sees a plan half made; a
            # message type that contains itself finds its own plan in `building`.
            building: dict[Descriptor, _Plan] = {}
            plan = _build(descriptor, building)
            _PLANS.update(building)
    return plan


def _build(descriptor: Descriptor, building: dict[Descriptor, _Plan]) -> _Plan:
    known = _PLANS.get(descriptor) or building.get(descriptor)
    if known is not None:
        return known
    plan = building[descriptor] = _Plan()
    required: list[tuple[int, str, bool]] = []
    for fd in descriptor.fields:
        rules = rules_of(fd) or options_pb2.FieldRules()
        if fd.message_type is None and not fd.is_repeated:
            scalar = _value_check(fd, fd, rules)
            if scalar is not None:
                plan.scalars[fd] = (scalar, fd.name)
        else:
            composite = _composite_check(fd, rules, building)
            if composite is not None:
                plan.composites[fd] = composite
        if rules.required or rules.defined_enum:
            singular_message = fd.message_type is not None and not fd.is_repeated
            required.append((fd.number, fd.name, singular_message))
    plan.required = tuple(sorted(required))
    plan.done = True
    return plan


def _composite_check(
    fd: FieldDescriptor, rules: options_pb2.FieldRules, building: dict[Descriptor, _Plan]
) -> FieldCheck | None:
    """The check of a message, list or map field (a singular scalar is the plan's own)."""
    message_type = fd.message_type
    if message_type is not None and message_type.GetOptions().map_entry:
        _applies(fd, rules, "a map")
        return _map_check(fd, message_type, rules, building)
    if fd.is_repeated or message_type is None:
        _applies(fd, rules, "a list")
        return _list_check(fd, rules, building)
    _applies(fd, rules, "a message")
    plan = _build(message_type, building)
    if plan.done and not plan.can_fail:
        return None  # nothing inside can be wrong (a Timestamp, say)
    nested = fd.name + "."
    return lambda value, prefix, found: plan.check(value, prefix + nested, found)


def _list_check(
    fd: FieldDescriptor, rules: options_pb2.FieldRules, building: dict[Descriptor, _Plan]
) -> FieldCheck | None:
    name, max_items = fd.name, rules.max_items
    if fd.message_type is not None:
        _applies(fd, rules.items, "the messages of a list or map")
        plan = _build(fd.message_type, building)
        if plan.done and not plan.can_fail and not max_items:
            return None

        def check_messages(values: Any, prefix: str, found: Found) -> None:
            path = prefix + name
            if max_items and len(values) > max_items:
                found.append(FieldViolation(path, f"must have at most {max_items} items"))
                return
            for index, item in enumerate(values):
                plan.check(item, f"{path}[{index}].", found)

        return check_messages
    item_check = _value_check(fd, fd, rules.items)
    if item_check is None and not max_items:
        return None

    def check(values: Any, prefix: str, found: Found) -> None:
        if max_items and len(values) > max_items:
            found.append(FieldViolation(prefix + name, f"must have at most {max_items} items"))
        elif item_check is not None:
            for index, item in enumerate(values):
                problem = item_check(item)
                if problem is not None:
                    found.append(FieldViolation(f"{prefix}{name}[{index}]", problem))

    return check


def _map_check(
    fd: FieldDescriptor,
    entry: Descriptor,
    rules: options_pb2.FieldRules,
    building: dict[Descriptor, _Plan],
) -> FieldCheck | None:
    name, max_items = fd.name, rules.max_items
    key_check = _value_check(fd, entry.fields_by_name["key"], rules.keys)
    value_field = entry.fields_by_name["value"]
    value_plan: _Plan | None = None
    value_check: ValueCheck | None = None
    if value_field.message_type is not None:
        _applies(fd, rules.items, "the messages of a list or map")
        value_plan = _build(value_field.message_type, building)
    else:
        value_check = _value_check(fd, value_field, rules.items)
    if key_check is None and value_check is None and value_plan is None and not max_items:
        return None

    def check(values: Any, prefix: str, found: Found) -> None:
        path = prefix + name
        if max_items and len(values) > max_items:
            found.append(FieldViolation(path, f"must have at most {max_items} entries"))
            return
        # by key: a map's order is not the order it was written in
        for key in sorted(values) if len(values) > 1 else values:
            value = values[key]
            problem = key_check(key) if key_check is not None else None
            if problem is not None:
                found.append(FieldViolation(_entry_path(path, key), f"key {problem}"))
            elif value_check is not None:
                problem = value_check(value)
                if problem is not None:
                    found.append(FieldViolation(_entry_path(path, key), problem))
            elif value_plan is not None:
                value_plan.check(value, _entry_path(path, key) + ".", found)

    return check


def _entry_path(path: str, key: object) -> str:
    if isinstance(key, str) and len(key) > KEY_SHOWN_IN_PATH:
        key = key[:KEY_SHOWN_IN_PATH] + "..."
    return f"{path}[{json.dumps(key)}]"


# -- checks of one value ------------------------------------------------------------------------


def _value_check(
    owner: FieldDescriptor, fd: FieldDescriptor, rules: options_pb2.FieldRules
) -> ValueCheck | None:
    """The check of one scalar value of `fd` (a singular field of `owner`, or an item, key or
    value of the list or map `owner`), or None when no value can be wrong. Absent values are
    the `required` check's; a value that is there but blank is refused here if required."""
    kind = fd.type
    if kind == _T.TYPE_STRING:
        _applies(owner, rules, "text")
        return _text_check(owner, rules)
    if kind == _T.TYPE_BYTES:
        _applies(owner, rules, "bytes")
        limit = rules.max_len
        if not limit:
            return None
        return lambda value: f"must be at most {limit} bytes" if len(value) > limit else None
    if kind == _T.TYPE_ENUM:
        _applies(owner, rules, "an enum")
        return _enum_check(fd, rules)
    if kind in _INTEGERS:
        _applies(owner, rules, "an integer")
        return _integer_check(rules)
    _applies(owner, rules, "a bool or a float")
    return None


def _text_check(owner: FieldDescriptor, rules: options_pb2.FieldRules) -> ValueCheck:
    required, max_len, min_len = rules.required, rules.max_len, rules.min_len
    too_long = f"must be at most {max_len} characters"
    too_short = f"must be at least {min_len} characters"
    patterns: list[tuple[Callable[[str], object], str]] = []
    if rules.uuid:
        patterns.append((_UUID.fullmatch, "must be a UUID"))
    if rules.email:
        patterns.append((_EMAIL.fullmatch, "is not an email address"))
    if rules.decimal:
        patterns.append((_DECIMAL.fullmatch, 'must be a decimal number like "1234.50"'))
    if rules.pattern:
        try:
            pattern = re.compile(rules.pattern)
        except re.error as exc:
            raise ValueError(
                f"{owner.full_name}: the pattern {rules.pattern!r} is not valid: {exc}"
            ) from None
        patterns.append((pattern.fullmatch, f"must match {rules.pattern}"))

    def check(value: str) -> str | None:
        if NUL in value:
            return NUL_PROBLEM
        if required and not value.strip():
            return "is required"
        if max_len and len(value) > max_len:
            return too_long
        if min_len and len(value.strip()) < min_len:
            return too_short
        for fullmatch, problem in patterns:
            if not fullmatch(value):
                return problem
        return None

    return check


def _enum_check(fd: FieldDescriptor, rules: options_pb2.FieldRules) -> ValueCheck:
    assert fd.enum_type is not None  # an enum field has its type
    numbers = frozenset(fd.enum_type.values_by_number)
    refuse_zero = rules.defined_enum or rules.required

    def check(value: int) -> str | None:
        if value not in numbers:
            return f"unknown value {value}"
        if refuse_zero and value == 0:
            return "is required"
        return None

    return check


def _integer_check(rules: options_pb2.FieldRules) -> ValueCheck | None:
    checks: list[ValueCheck] = []
    if rules.required:
        checks.append(lambda value: None if value else "is required")
    if rules.has_min:
        low = rules.min
        checks.append(lambda value: f"must be at least {low}" if value < low else None)
    if rules.has_max:
        high = rules.max
        checks.append(lambda value: f"must be at most {high}" if value > high else None)
    return _first_problem(checks) if checks else None


def _first_problem(checks: list[ValueCheck]) -> ValueCheck:
    """One check that runs `checks` (at least one) in order and answers the first problem."""
    if len(checks) == 1:
        return checks[0]
    ordered = tuple(checks)

    def check(value: Any) -> str | None:
        for one in ordered:
            problem = one(value)
            if problem is not None:
                return problem
        return None

    return check


def _applies(owner: FieldDescriptor, rules: options_pb2.FieldRules, kind: str) -> None:
    """A rule that cannot apply to its field is a mistake in the proto: a ValueError, at start."""
    misplaced = sorted(
        f.name for f, _ in rules.ListFields() if f.name not in _APPLICABLE[kind] | {"description"}
    )
    if misplaced:
        raise ValueError(f"{owner.full_name}: {', '.join(misplaced)} cannot apply to {kind}")
