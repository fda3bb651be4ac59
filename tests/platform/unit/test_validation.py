"""Request validation from the `(crm.common.v1.rules)` options: each rule, nesting, lists,
maps, NUL characters and enum numbers anywhere, and rules that cannot apply, without a server."""

from __future__ import annotations

import time
from typing import Any

import pytest
from crm_platform.errors import FieldViolation
from crm_platform.validation import (
    KEY_SHOWN_IN_PATH,
    MAX_VIOLATIONS,
    prepare,
    rules_of,
    violations,
)
from crm_proto.crm.customer.v1 import customer_pb2
from google.protobuf.message import Message

from tests.platform.unit.protos import compile_proto, message_class

RULES_PROTO = """
syntax = "proto3";
package crm.validationtest.v1;
import "crm/common/v1/options.proto";
import "google/protobuf/timestamp.proto";

enum Color {
  COLOR_UNSPECIFIED = 0;
  COLOR_RED = 1;
  COLOR_BLUE = 2;
}

message Probe {
  string name = 1 [(crm.common.v1.rules) = {required: true, max_len: 5}];
  string code = 2 [(crm.common.v1.rules) = {min_len: 2, pattern: "[A-Z]+"}];
  string id = 3 [(crm.common.v1.rules) = {uuid: true}];
  string email = 4 [(crm.common.v1.rules) = {email: true}];
  string amount = 5 [(crm.common.v1.rules) = {decimal: true}];
  int32 count = 6 [(crm.common.v1.rules) = {has_min: true, min: 0, has_max: true, max: 10}];
  Color color = 7 [(crm.common.v1.rules) = {defined_enum: true}];
  Color shade = 8;
  Inner inner = 9 [(crm.common.v1.rules) = {required: true}];
  repeated string tags = 10 [(crm.common.v1.rules) = {
    max_items: 3
    items: {required: true, max_len: 4}
  }];
  map<string, string> labels = 11 [(crm.common.v1.rules) = {
    max_items: 2
    keys: {max_len: 3}
    items: {max_len: 4}
  }];
  repeated Inner inners = 12;
  map<string, Inner> by_key = 13;
  string free = 14;
  bytes blob = 15 [(crm.common.v1.rules) = {max_len: 2}];
  google.protobuf.Timestamp at = 16;
  repeated Color colors = 17;
  repeated string names = 18 [(crm.common.v1.rules) = {required: true}];
}

message Inner {
  string note = 1 [(crm.common.v1.rules) = {max_len: 3}];
  Inner child = 2;
}

message LengthOnNumber {
  int32 n = 1 [(crm.common.v1.rules) = {max_len: 3}];
}
message NotARegularExpression {
  string s = 1 [(crm.common.v1.rules) = {pattern: "("}];
}
message EnumRuleOnText {
  string s = 1 [(crm.common.v1.rules) = {defined_enum: true}];
}
message ItemsOnOneValue {
  string s = 1 [(crm.common.v1.rules) = {items: {max_len: 3}}];
}
message TextRuleOnItemsOfNumbers {
  repeated int64 n = 1 [(crm.common.v1.rules) = {items: {uuid: true}}];
}
message RequiredBool {
  bool b = 1 [(crm.common.v1.rules) = {required: true}];
}
message RulesOnMessagesOfAList {
  repeated Inner inners = 1 [(crm.common.v1.rules) = {items: {required: true}}];
}
"""

UUID = "6d0f8a8e-3a43-4d52-9f0e-0f1c1b1f9a11"


def probe(**fields: Any) -> Message:
    """A Probe that breaks no rule, with `fields` set on top."""
    values: dict[str, Any] = {"name": "ok", "color": 1, "inner": {}, "names": ["n"]}
    values.update(fields)
    file = compile_proto("crm_validationtest.proto", RULES_PROTO)
    return message_class(file, "Probe")(**values)


def found(message: Message) -> list[tuple[str, str]]:
    return [(v.field, v.description) for v in violations(message)]


def test_a_request_that_breaks_no_rule_has_no_violations() -> None:
    full = probe(
        name=" five",
        code="AB",
        id=UUID.upper(),
        email="ada@example.com",
        amount="-1234.50",
        count=10,
        shade=2,
        tags=["a", "bcde"],
        labels={"k": "v"},
        blob=b"12",
    )

    assert found(probe()) == []
    assert found(full) == []


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"name": ""}, [("name", "is required")]),
        ({"name": "   "}, [("name", "is required")]),
        ({"name": "sixsix"}, [("name", "must be at most 5 characters")]),
        ({"name": "ßüñçé"}, []),  # characters, not bytes
        ({"code": " A "}, [("code", "must be at least 2 characters")]),  # after trimming
        ({"code": "ab"}, [("code", "must match [A-Z]+")]),
        ({"code": "ABc"}, [("code", "must match [A-Z]+")]),  # a full match
        ({"id": "not-a-uuid"}, [("id", "must be a UUID")]),
        ({"id": UUID.replace("-", "")}, [("id", "must be a UUID")]),  # only 8-4-4-4-12
        ({"id": "{" + UUID + "}"}, [("id", "must be a UUID")]),
        ({"email": "ada@example"}, [("email", "is not an email address")]),
        ({"amount": "1.5e3"}, [("amount", 'must be a decimal number like "1234.50"')]),
        ({"count": -1}, [("count", "must be at least 0")]),
        ({"count": 11}, [("count", "must be at most 10")]),
        ({"blob": b"123"}, [("blob", "must be at most 2 bytes")]),
    ],
)
def test_each_rule_of_a_singular_field(fields: dict[str, Any], expected: list[Any]) -> None:
    assert found(probe(**fields)) == expected


def test_a_defined_enum_refuses_unspecified_and_unknown_numbers() -> None:
    assert found(probe(color=0)) == [("color", "is required")]
    assert found(probe(color=7)) == [("color", "unknown value 7")]


def test_any_enum_refuses_a_number_it_does_not_define_but_may_be_unspecified() -> None:
    assert found(probe(shade=0)) == []
    assert found(probe(shade=9)) == [("shade", "unknown value 9")]
    assert found(probe(colors=[1, 5, 2])) == [("colors[1]", "unknown value 5")]


def test_required_messages_and_lists_must_be_present() -> None:
    message = probe()
    message.ClearField("inner")
    message.ClearField("names")

    assert found(message) == [("inner", "is required"), ("names", "is required")]


def test_lists_are_limited_in_length_and_each_item_is_checked() -> None:
    assert found(probe(tags=["a", "b", "c", "d"])) == [("tags", "must have at most 3 items")]
    assert found(probe(tags=["a", " ", "abcde"])) == [
        ("tags[1]", "is required"),
        ("tags[2]", "must be at most 4 characters"),
    ]


def test_map_keys_and_values_are_checked_and_named_in_the_path() -> None:
    assert found(probe(labels={"a": "1", "b": "2", "c": "3"})) == [
        ("labels", "must have at most 2 entries")
    ]
    assert found(probe(labels={"long": "v", "k": "value"})) == [  # in the order of the keys
        ('labels["k"]', "must be at most 4 characters"),
        ('labels["long"]', "key must be at most 3 characters"),
    ]


def test_nested_messages_are_checked_with_dotted_paths() -> None:
    message = probe(
        inner={"note": "long", "child": {"child": {"note": "four"}}},
        inners=[{}, {"note": "toolong"}],
        by_key={"x": {"note": "way too long"}},
    )

    assert found(message) == [
        ("inner.note", "must be at most 3 characters"),
        ("inner.child.child.note", "must be at most 3 characters"),
        ("inners[1].note", "must be at most 3 characters"),
        ('by_key["x"].note', "must be at most 3 characters"),
    ]


def test_a_nul_character_is_refused_in_every_string_whatever_its_rules() -> None:
    message = probe(
        name="a\x00",
        free="b\x00",
        tags=["ok", "\x00"],
        labels={"k\x00": "v", "j": "\x00"},
        inner={"child": {"note": "\x00"}},
        inners=[{"note": "\x00"}],
    )

    assert found(message) == [
        ("name", "must not contain NUL characters"),
        ("inner.child.note", "must not contain NUL characters"),
        ("tags[1]", "must not contain NUL characters"),
        ('labels["j"]', "must not contain NUL characters"),
        ('labels["k\\u0000"]', "key must not contain NUL characters"),
        ("inners[0].note", "must not contain NUL characters"),
        ("free", "must not contain NUL characters"),
    ]


def test_violations_are_in_field_order_and_bounded() -> None:
    message = probe(name="", count=-1, tags=["x"] * 2 + [""], free="\x00")
    message.ClearField("inner")

    assert [field for field, _ in found(message)] == ["name", "count", "inner", "tags[2]", "free"]
    many = probe(inners=[{"note": "\x00"}] * (MAX_VIOLATIONS + 10))
    assert len(violations(many)) == MAX_VIOLATIONS


@pytest.mark.parametrize(
    ("message", "problem"),
    [
        ("LengthOnNumber", "LengthOnNumber.n: max_len cannot apply to an integer"),
        ("NotARegularExpression", "NotARegularExpression.s: the pattern '\\(' is not valid"),
        ("EnumRuleOnText", "EnumRuleOnText.s: defined_enum cannot apply to text"),
        ("ItemsOnOneValue", "ItemsOnOneValue.s: items cannot apply to text"),
        ("TextRuleOnItemsOfNumbers", "TextRuleOnItemsOfNumbers.n: uuid cannot apply to an integer"),
        ("RequiredBool", "RequiredBool.b: required cannot apply to a bool or a float"),
        (
            "RulesOnMessagesOfAList",
            "RulesOnMessagesOfAList.inners: required cannot apply to the messages of a list",
        ),
    ],
)
def test_a_rule_that_cannot_apply_is_an_error_when_prepared(message: str, problem: str) -> None:
    file = compile_proto("crm_validationtest.proto", RULES_PROTO)

    with pytest.raises(ValueError, match=problem):
        prepare(file.message_types_by_name[message])


def test_the_rules_of_a_field_are_read_from_its_options() -> None:
    fields = customer_pb2.Customer.DESCRIPTOR.fields_by_name

    assert rules_of(fields["name"]) is not None
    assert rules_of(fields["name"]).max_len == 200  # type: ignore[union-attr]
    assert rules_of(fields["blacklisted"]) is None


def test_a_typical_create_customer_request_is_checked_in_microseconds() -> None:
    """It runs on every call, at the gateway and in the service."""
    request = customer_pb2.CreateCustomerRequest(
        customer=customer_pb2.Customer(
            name="Ada Lovelace",
            email="ada@example.com",
            phone="+14155552671",
            region="London",
            city="London",
            birth_date="1815-12-10",
            tags=["vip", "math"],
            preferences={"lang": "en"},
            owner_id=UUID,
        ),
        idempotency_key="signup-7f3a",
    )
    assert violations(request) == []
    calls = 2000

    started = time.perf_counter()
    for _ in range(calls):
        violations(request)
    per_call = (time.perf_counter() - started) / calls

    assert per_call < 0.001  # about 10 microseconds on an idle machine; this bounds a busy one


def test_a_violation_is_a_field_violation() -> None:
    assert violations(customer_pb2.GetCustomerRequest(id="x")) == [
        FieldViolation("id", "must be a UUID")
    ]


def test_a_long_map_key_is_shortened_in_the_path() -> None:
    key = "k" * (KEY_SHOWN_IN_PATH + 20)

    assert found(probe(labels={key: "v"})) == [
        (f'labels["{key[:KEY_SHOWN_IN_PATH]}..."]', "key must be at most 3 characters")
    ]
