"""JSON Schemas of the gateway's routes, from the proto descriptors and their
`(crm.common.v1.rules)`: the same source the requests are validated from, so the API document
cannot promise what the gateway refuses or miss what it checks.

Answers: every field is present; what proto3 leaves empty (an empty string, the unspecified
enum value, an unset message) is null. Requests: the rules become maxLength, minLength,
pattern, format (uuid, email, date-time), enum, minimum/maximum, maxItems and required; null
is accepted wherever a value may be empty (it leaves, or on a PATCH makes, the field empty).
"""

from __future__ import annotations

from typing import Any

from crm_platform import enums, validation
from crm_proto.crm.common.v1 import options_pb2
from google.protobuf.descriptor import Descriptor, FieldDescriptor

from crm_portal.adapters.messages import (
    NEXT_PAGE_TOKEN,
    PAGE_ITEMS,
    TIMESTAMP,
    JsonCodec,
    enum_of,
    is_map,
    is_repeated,
    message_of,
    page_items,
)
from crm_portal.entrypoints.http.gateway import VERSION_KEY, Route

Schema = dict[str, Any]
REF_TEMPLATE = "#/components/schemas/{model}"
_INTEGER_TYPES = {
    FieldDescriptor.TYPE_INT32, FieldDescriptor.TYPE_INT64, FieldDescriptor.TYPE_UINT32,
    FieldDescriptor.TYPE_UINT64, FieldDescriptor.TYPE_SINT32, FieldDescriptor.TYPE_SINT64,
    FieldDescriptor.TYPE_FIXED32, FieldDescriptor.TYPE_FIXED64, FieldDescriptor.TYPE_SFIXED32,
    FieldDescriptor.TYPE_SFIXED64,
}  # fmt: skip
_UNSIGNED = {
    FieldDescriptor.TYPE_UINT32, FieldDescriptor.TYPE_UINT64, FieldDescriptor.TYPE_FIXED32,
    FieldDescriptor.TYPE_FIXED64,
}  # fmt: skip


def nullable(schema: Schema) -> Schema:
    if "$ref" in schema:
        return {"anyOf": [schema, {"type": "null"}]}
    if "enum" in schema:
        schema = {**schema, "enum": [*schema["enum"], None]}
    if isinstance(schema.get("type"), str):
        return {**schema, "type": [schema["type"], "null"]}
    return schema


def _with_rules(schema: Schema, rules: options_pb2.FieldRules | None) -> Schema:
    if rules is None:
        return schema
    if rules.max_len:
        schema["maxLength"] = rules.max_len
    if rules.min_len:
        schema["minLength"] = rules.min_len
    elif rules.required and schema.get("type") == "string":
        schema["minLength"] = 1
    if rules.pattern:
        schema["pattern"] = f"^(?:{rules.pattern})$"  # the rule is a full match
    if rules.uuid:
        schema["format"] = "uuid"
    if rules.email:
        schema["format"] = "email"
    if rules.decimal:
        schema["pattern"] = r"^-?[0-9]+(\.[0-9]+)?$"
    if rules.has_min:
        schema["minimum"] = max(rules.min, schema.get("minimum", rules.min))
    if rules.has_max:
        schema["maximum"] = rules.max
    if rules.description:
        schema["description"] = rules.description
    return schema


class MessageSchemas:
    """Collects the schemas of answers (one component per message) and request bodies."""

    def __init__(self, codec: JsonCodec) -> None:
        self.codec = codec
        self.components: dict[str, Schema] = {}
        self._names: dict[str, str] = {}  # message full name -> its component's name

    # -- answers

    def answer(self, message: Descriptor) -> Schema:
        name = self._names.get(message.full_name)
        if name is None:
            name = self._component_name(message)
            self._names[message.full_name] = name
            self.components[name] = {}  # placed first: a message may hold itself
            self.components[name] = self._answer_object(message)
        return {"$ref": REF_TEMPLATE.format(model=name)}

    def _component_name(self, message: Descriptor) -> str:
        """The message's name; a second message of that name in another service's package
        (sales' Team and service's) is named with its package too: ServiceTeam."""
        if message.name not in self.components:
            return message.name
        package = message.file.package.split(".")
        return "".join(part.title() for part in package[1:-1]) + message.name

    def _answer_object(self, message: Descriptor) -> Schema:
        items = page_items(message)
        if items is not None:
            return {
                "type": "object",
                "properties": {
                    PAGE_ITEMS: {"type": "array", "items": self._answer_value(items)},
                    NEXT_PAGE_TOKEN: {
                        "type": ["string", "null"],
                        "description": "pass as page_token for the next page",
                    },
                },
                "required": [PAGE_ITEMS, NEXT_PAGE_TOKEN],
                "additionalProperties": False,
            }
        properties: Schema = {}
        for f in message.fields:
            if f.full_name in self.codec.inline:
                properties.update(self._answer_object(message_of(f))["properties"])
            else:
                properties[self.codec.name_of(f)] = self._answer_field(f)
        return {
            "type": "object",
            "properties": properties,
            "required": list(properties),
            "additionalProperties": False,
        }

    def _answer_field(self, field: FieldDescriptor) -> Schema:
        if is_map(field):
            value = message_of(field).fields_by_name["value"]
            return {"type": "object", "additionalProperties": self._answer_value(value)}
        if is_repeated(field):
            key = self.codec.keyed.get(field.full_name)
            if key is not None:
                element = message_of(field)
                key_field = element.fields_by_name[key]
                rest = self._answer_object(element)
                rest["properties"].pop(self.codec.name_of(key_field))
                rest["required"].remove(self.codec.name_of(key_field))
                return {
                    "type": "object",
                    "propertyNames": {"enum": enums.keys(enum_of(key_field))},
                    "additionalProperties": rest,
                }
            return {"type": "array", "items": self._answer_value(field)}
        schema = self._answer_value(field)
        if field.type in (FieldDescriptor.TYPE_STRING, FieldDescriptor.TYPE_ENUM) or (
            field.message_type is not None
        ):
            return nullable(schema)
        return schema

    def _answer_value(self, field: FieldDescriptor) -> Schema:
        message = field.message_type
        if message is not None and message.full_name != TIMESTAMP:
            return self.answer(message)
        return scalar(field)

    # -- requests

    def body(self, route: Route) -> Schema:
        """The request body of a route, as a component named after its RPC."""
        fields = route.body_fields(self.codec)
        patch = route.method == "PATCH"
        properties: Schema = {}
        required = []
        for name, field in fields.items():
            rules = validation.rules_of(field)
            schema = self.request_field(field)
            if rules is not None and rules.required:
                if not patch:
                    required.append(name)
            else:
                schema = nullable(schema)
            properties[name] = schema
        if route.version is not None:
            properties[VERSION_KEY] = {
                "type": "integer",
                "minimum": 1,
                "description": "change only this version (as If-Match does)",
            }
        body: Schema = {"type": "object", "properties": properties, "additionalProperties": False}
        if required:
            body["required"] = required
        if patch:
            body["minProperties"] = 1
        name = f"{route.rpc.name}Body"
        if self.components.get(name, body) != body:  # another route onto the same RPC
            name = f"{route.rpc.name}{''.join(p.title() for p in route.rule.split('/'))}Body"
        self.components[name] = body
        return {"$ref": REF_TEMPLATE.format(model=name)}

    def request_field(self, field: FieldDescriptor) -> Schema:
        rules = validation.rules_of(field)
        if is_map(field):
            value = message_of(field).fields_by_name["value"]
            schema: Schema = {
                "type": "object",
                "additionalProperties": self._request_value(value, rules.items if rules else None),
            }
            if rules is not None and rules.HasField("keys"):
                schema["propertyNames"] = _with_rules({"type": "string"}, rules.keys)
            if rules is not None and rules.max_items:
                schema["maxProperties"] = rules.max_items
            return _described(schema, rules)
        if is_repeated(field):
            items = rules.items if rules is not None and rules.HasField("items") else None
            schema = {"type": "array", "items": self._request_value(field, items)}
            if rules is not None and rules.max_items:
                schema["maxItems"] = rules.max_items
            return _described(schema, rules)
        return self._request_value(field, rules)

    def _request_value(
        self, field: FieldDescriptor, rules: options_pb2.FieldRules | None
    ) -> Schema:
        message = field.message_type
        if message is not None and message.full_name != TIMESTAMP:
            properties = {self.codec.name_of(f): self.request_field(f) for f in message.fields}
            return {"type": "object", "properties": properties, "additionalProperties": False}
        return _with_rules(scalar(field), rules)


def _described(schema: Schema, rules: options_pb2.FieldRules | None) -> Schema:
    if rules is not None and rules.description:
        schema["description"] = rules.description
    return schema


def scalar(field: FieldDescriptor) -> Schema:
    """The schema of a field's value that is no message (a Timestamp counts as a value)."""
    if field.message_type is not None:  # a Timestamp
        return {"type": "string", "format": "date-time"}
    if field.enum_type is not None:
        return {"type": "string", "enum": enums.keys(field.enum_type)}
    if field.type == FieldDescriptor.TYPE_BOOL:
        return {"type": "boolean"}
    if field.type in _INTEGER_TYPES:
        return {"type": "integer", **({"minimum": 0} if field.type in _UNSIGNED else {})}
    if field.type in (FieldDescriptor.TYPE_FLOAT, FieldDescriptor.TYPE_DOUBLE):
        return {"type": "number"}
    return {"type": "string"}
