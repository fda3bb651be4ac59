"""REST routes onto gRPC methods: each `Route` is a row of the table in routes.py, and one
handler serves them all.

A row names the HTTP method and path, the RPC (its method descriptor), and how the path, query
string and body map onto the request message. The handler then:

1. authorizes by the RPC's `(crm.common.v1.access)` option (`crm_platform.access.allow_of`),
   so the gateway and the service read the same declaration;
2. builds the request message: path parameters into the fields the row names, the query string
   into the request's top-level fields (a message field such as `page` is flattened into its
   own fields, `page_size` and `page_token`), the JSON body into one field (`customer`) or into
   the request's own fields (`*`), or, for a row that takes a file (`upload`), the body's text
   into one string field; an unknown field or a wrong JSON type is a 422 naming it;
3. checks the `(crm.common.v1.rules)` of the message with `crm_platform.validation` (the code
   every gRPC server runs on the same message) and answers 422 with the JSON field names;
4. calls the service through its circuit breaker (503 at once while it is away);
5. answers the reply as JSON, with the row's status, `ETag` from a `version` field and
   `Location` for what a create made; or, for a row that says so, one field of the reply as
   the body (`text`: an iCalendar file, an HTML page, an image) or as a redirect's Location
   (`redirect`).

What only REST has: the body's keys of a PATCH become its field mask (null clears; a required
field may change but not be cleared), or set the flags that say a field changes where the
request has such flags instead of a mask; `If-Match` or the body's `version` set the field a change
is conditional on; `Idempotency-Key` is both the gateway's replay key and the request's
`idempotency_key` when it has one.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import grpc
from crm_platform import access, validation
from flask import Blueprint, Response, current_app, jsonify, url_for
from google.protobuf import field_mask_pb2, message_factory
from google.protobuf.descriptor import Descriptor, FieldDescriptor, MethodDescriptor
from google.protobuf.message import Message

from crm_portal.adapters.backends import Backends
from crm_portal.adapters.circuit import CircuitOpen
from crm_portal.adapters.messages import (
    TIMESTAMP,
    JsonCodec,
    JsonError,
    descriptor_of,
    renamed_path,
)
from crm_portal.entrypoints.http import inputs, operations, problems
from crm_portal.entrypoints.http.limits import client_address, limiter
from crm_portal.entrypoints.http.operations import Answer
from crm_portal.entrypoints.http.problems import FieldError, Problem

BACKENDS_KEY = "crm_portal.backends"
WHOLE_REQUEST = "*"  # the body is the request's own fields
IDEMPOTENCY_KEY_FIELD = "idempotency_key"
VERSION_KEY = "version"  # the body's key for the version a change is conditional on


def snake_case(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


@dataclass(frozen=True)
class RouteLimit:
    """A route's own rate limit per client address, on top of the API-wide one (a public
    route that anyone may call without a token): the app's configuration key that may set it,
    and the flask-limiter expression it defaults to."""

    config: str
    default: str

    def value(self) -> str:
        configured: str | None = current_app.config.get(self.config)
        return configured or self.default


@dataclass(frozen=True)
class Route:
    """One REST route onto one RPC; see the module docstring."""

    method: str  # HTTP
    rule: str  # Flask rule under /api/v1: <uuid:x> for ids; enums from the path get <any(...)>
    rpc: MethodDescriptor
    summary: str
    answer: str  # what the success response is
    tags: tuple[str, ...] = ()
    description: str | None = None
    # path parameter -> the request field it fills ("id", "customer.id")
    path: Mapping[str, str] = field(default_factory=dict)
    path_docs: Mapping[str, str] = field(default_factory=dict)  # path parameter -> description
    # the request field the JSON body fills, WHOLE_REQUEST for the request's own fields, None
    # for no body (then the query string fills the fields the path does not)
    body: str | None = None
    writable: tuple[str, ...] | None = None  # the body's allowed JSON fields (None: every one)
    body_required: bool = True
    # request fields (JSON names) the body holds beside those of the field it fills
    beside: tuple[str, ...] = ()
    mask: str | None = None  # the FieldMask field that lists the body's keys (PATCH)
    # body field -> the bool request field set when the body holds it (PATCH without a mask:
    # proto3 cannot tell an absent list or string from an empty one)
    presence: Mapping[str, str] = field(default_factory=dict)
    version: str | None = None  # the field set from If-Match or the body's `version`
    status: int = 200
    location: str | None = None  # the row (by name) that reads what this one creates
    cache_control: str | None = None  # the answer's Cache-Control (no-store for a secret)
    idempotent: bool = False  # Idempotency-Key (POST)
    reads: bool = False  # changes nothing: retried on UNAVAILABLE (GET rows always)
    problems: tuple[int, ...] = ()  # further problem statuses it answers (409, ...)
    # the endpoint's name when another row serves the same RPC (a customer's own routes)
    endpoint: str | None = None
    # (reply field, media type): the answer is that string field's text, not the reply as JSON
    # (an iCalendar export)
    text: tuple[str, str] | None = None
    # the reply field holding a URL: the answer is the row's status (a 302 or 303) with that
    # Location and no body (a tracked link's redirect)
    redirect: str | None = None
    limit: RouteLimit | None = None  # its own limit per client address (429 beyond it)
    # (request field, media type): the body is a file of that type (UTF-8 text), whose text
    # fills that string field (a CSV upload); the query string fills the others
    upload: tuple[str, str] | None = None

    @property
    def name(self) -> str:
        """The endpoint's name: `endpoint`, else the RPC's in snake_case (CreateCustomer ->
        create_customer)."""
        return self.endpoint or snake_case(self.rpc.name)

    @property
    def request_type(self) -> Descriptor:
        return self.rpc.input_type

    @property
    def is_read(self) -> bool:
        return self.reads or self.method == "GET"

    def body_message(self) -> Descriptor | None:
        if self.body is None:
            return None
        if self.body == WHOLE_REQUEST:
            return self.request_type
        return self.request_type.fields_by_name[self.body].message_type

    def body_fields(self, codec: JsonCodec) -> dict[str, FieldDescriptor]:
        """The JSON fields the body may hold, by JSON name."""
        message = self.body_message()
        if message is None:
            return {}
        by_name = codec.fields_by_json_name(message)
        if self.writable is not None:
            by_name = {name: by_name[name] for name in self.writable}
        elif self.body == WHOLE_REQUEST:
            bound = {p.split(".")[0] for p in self.path.values()}
            bound.update(n for n in (self.mask, self.version, IDEMPOTENCY_KEY_FIELD) if n)
            bound.update(self.presence.values())
            by_name = {name: f for name, f in by_name.items() if f.name not in bound}
        own = codec.fields_by_json_name(self.request_type)
        return {**{name: own[name] for name in self.beside}, **by_name}

    def query_fields(
        self, codec: JsonCodec
    ) -> dict[str, tuple[FieldDescriptor | None, FieldDescriptor]]:
        """The query parameters, by name: (the top-level message field it is flattened from or
        None, the field it fills)."""
        if self.body is not None:
            return {}
        bound = {p.split(".")[0] for p in self.path.values()}
        if self.upload is not None:
            bound.add(self.upload[0])
        found: dict[str, tuple[FieldDescriptor | None, FieldDescriptor]] = {}
        for top in self.request_type.fields:
            if top.name in bound:
                continue
            nested = top.message_type
            if (
                nested is not None
                and nested.full_name != TIMESTAMP
                and not nested.GetOptions().map_entry
            ):
                for inner in nested.fields:
                    found[codec.name_of(inner)] = (top, inner)
            else:
                found[codec.name_of(top)] = (None, top)
        return found

    def json_prefixes(self, codec: JsonCodec) -> dict[str, str]:
        """Proto field path -> the JSON prefix the client sent it under (see renamed_path)."""
        prefixes = {field_path: parameter for parameter, field_path in self.path.items()}
        if self.body is not None and self.body != WHOLE_REQUEST:
            prefixes[self.body] = ""
        for top, _inner in self.query_fields(codec).values():
            if top is not None:
                prefixes[top.name] = ""
        return prefixes


def _message_class(descriptor: Descriptor) -> type[Message]:
    found: type[Message] = message_factory.GetMessageClass(descriptor)
    return found


# -- reading the request --------------------------------------------------------------------------


def _set_path_parameters(
    codec: JsonCodec,
    route: Route,
    request: Message,
    values: Mapping[str, Any],
    errors: list[JsonError],
) -> None:
    for parameter, field_path in route.path.items():
        *parents, leaf = field_path.split(".")
        target = request
        for parent in parents:
            target = getattr(target, parent)
        name = codec.name_of(descriptor_of(target).fields_by_name[leaf])
        codec.set_fields(
            target, {name: str(values[parameter])}, at=parameter, errors=errors, text=True
        )


def _set_query(codec: JsonCodec, route: Route, request: Message, errors: list[JsonError]) -> None:
    parameters = inputs.query_arguments()
    fields = route.query_fields(codec)
    for top, _inner in fields.values():
        if top is not None:
            getattr(request, top.name).SetInParent()  # e.g. the default page
    for name, value in parameters.items():
        if name not in fields:
            errors.append(JsonError(name, "is not a parameter of this route"))
            continue
        top, _inner = fields[name]
        target = getattr(request, top.name) if top is not None else request
        codec.set_fields(target, {name: value}, errors=errors, text=True)


def _set_body(
    codec: JsonCodec, route: Route, request: Message, errors: list[JsonError]
) -> int | None:
    """The body into the request; the body's `version` when the row reads one."""
    document = inputs.json_document(optional=not route.body_required)
    if not isinstance(document, dict):
        raise problems.invalid([FieldError("", "must be a JSON object")])
    body_version = None
    if route.version is not None and VERSION_KEY in document:
        body_version = document.pop(VERSION_KEY)
        if (
            isinstance(body_version, bool)
            or not isinstance(body_version, int)
            or not 1 <= body_version <= inputs.MAX_VERSION
        ):
            errors.append(JsonError(VERSION_KEY, "must be a version: an integer >= 1"))
            body_version = None
    assert route.body is not None
    target = request if route.body == WHOLE_REQUEST else getattr(request, route.body)
    allowed = route.body_fields(codec)
    beside = {name: document.pop(name) for name in route.beside if name in document}
    codec.set_fields(request, beside, allowed=route.beside, errors=errors)
    own = {name: f for name, f in allowed.items() if name not in route.beside}
    codec.set_fields(target, document, allowed=own, errors=errors)
    if route.body != WHOLE_REQUEST:
        target.SetInParent()
    if route.method == "PATCH":
        _set_changes(route, request, document, own, errors)
    return body_version


def _set_changes(
    route: Route,
    request: Message,
    document: Mapping[str, Any],
    allowed: Mapping[str, FieldDescriptor],
    errors: list[JsonError],
) -> None:
    """What a PATCH changes: its field mask, or the request's flags (`presence`)."""
    present = [(name, allowed[name]) for name in allowed if name in document]
    for name, descriptor in present:
        rules = validation.rules_of(descriptor)
        clears = route.mask is not None or name in route.presence
        if document[name] is None and (not clears or (rules is not None and rules.required)):
            errors.append(JsonError(name, "may be changed but not cleared"))
        if name in route.presence:
            setattr(request, route.presence[name], True)
    if not present and not errors:
        errors.append(JsonError("", "change at least one field"))
    if route.mask is not None:
        mask: field_mask_pb2.FieldMask = getattr(request, route.mask)
        mask.paths.extend(descriptor.name for _name, descriptor in present)


def read_request(codec: JsonCodec, route: Route, path_values: Mapping[str, Any]) -> Message:
    """The request message of `route` from the HTTP request; a 422 problem when it is not
    valid, naming every invalid field as the client sent it."""
    request = _message_class(route.request_type)()
    errors: list[JsonError] = []
    _set_path_parameters(codec, route, request, path_values, errors)
    body_version = None
    if route.body is None:
        _set_query(codec, route, request, errors)
        if route.upload is not None:
            field_name, media_type = route.upload
            setattr(request, field_name, inputs.text_document(media_type))
    else:
        if inputs.query_arguments():
            errors.extend(
                JsonError(name, "is not a parameter of this route")
                for name in inputs.query_arguments()
            )
        body_version = _set_body(codec, route, request, errors)
    if route.version is not None:
        version = inputs.expected_version(body_version)
        if version is not None:
            setattr(request, route.version, version)
    if route.idempotent and IDEMPOTENCY_KEY_FIELD in route.request_type.fields_by_name:
        setattr(request, IDEMPOTENCY_KEY_FIELD, inputs.idempotency_key() or "")
    named = {error.field for error in errors}
    prefixes = route.json_prefixes(codec)
    for violation in validation.violations(request):
        where = renamed_path(codec, route.request_type, violation.field, prefixes)
        if where not in named:  # a field already refused for its type is not named twice
            errors.append(JsonError(where, violation.description))
            named.add(where)
    if errors:
        raise problems.invalid([FieldError(e.field, e.message) for e in errors])
    return request


# -- answering ------------------------------------------------------------------------------------


def backends() -> Backends:
    found: Backends = current_app.extensions[BACKENDS_KEY]
    return found


def _call(codec: JsonCodec, route: Route, request: Message) -> Message:
    prefixes = route.json_prefixes(codec)
    try:
        return backends().call(route.rpc, request)
    except CircuitOpen as away:
        raise Problem(
            503,
            f"the {away.service} service is unavailable; retry later",
            headers={"Retry-After": str(max(1, math.ceil(away.retry_after)))},
        ) from None
    except grpc.RpcError as error:
        raise problems.from_rpc_error(
            error, lambda path: renamed_path(codec, route.request_type, path, prefixes)
        ) from None


def answer(codec: JsonCodec, route: Route, reply: Message, rows: Mapping[str, Route]) -> Response:
    if route.redirect is not None:
        location = getattr(reply, route.redirect)
        response = Response(status=route.status, headers={"Location": location})
    elif route.text is not None:
        text_field, media_type = route.text
        response = Response(getattr(reply, text_field), status=route.status, mimetype=media_type)
    else:
        response = jsonify(codec.to_json(reply))
        response.status_code = route.status
    if route.cache_control is not None:
        response.headers["Cache-Control"] = route.cache_control
    if route.redirect is not None or route.text is not None:
        return response
    if VERSION_KEY in reply.DESCRIPTOR.fields_by_name:
        # If-Match with it on the next change makes that change safe
        response.set_etag(str(getattr(reply, VERSION_KEY)))
    if route.location is not None:
        reader = rows[route.location]
        values = {
            parameter: getattr(reply, field_path) for parameter, field_path in reader.path.items()
        }
        response.headers["Location"] = url_for(f".{reader.name}", **values)
    return response


def serve(
    codec: JsonCodec,
    route: Route,
    path_values: Mapping[str, Any],
    rows: Mapping[str, Route] | None = None,
) -> Response:
    """Answer the current HTTP request by `route`; `rows` are the routes by name (Location)."""
    request = read_request(codec, route, path_values)
    return answer(codec, route, _call(codec, route, request), rows or {})


def _documented_answer(route: Route, headers: tuple[str, ...]) -> Answer:
    if route.redirect is not None:
        return Answer(route.answer, headers=("Location", *headers))
    if route.text is not None:
        return Answer(route.answer, media_type=route.text[1])
    return Answer(route.answer, route.rpc.output_type, headers=headers)


@functools.cache
def _address_key(name: str) -> Callable[[], str]:
    """A route's own limit counts per client address. One function per route: the limiter is
    the process's, and a route registered again (another app) must not count twice."""
    return lambda: f"{name}:{client_address()}"


def register(blueprint: Blueprint, codec: JsonCodec, routes: tuple[Route, ...]) -> None:
    """Declare every row on `blueprint`, served by the one handler."""
    rows = {route.name: route for route in routes}
    for route in routes:

        def view(route: Route = route, **path_values: Any) -> Response:
            return serve(codec, route, path_values, rows)

        view.__name__ = route.name
        view.__doc__ = route.description
        if route.limit is not None:
            view = limiter.limit(
                route.limit.value, key_func=_address_key(route.name), override_defaults=True
            )(view)
        headers = {}
        if route.version is not None:
            headers["If-Match"] = (
                'the ETag of the version to change (e.g. "3"): 409 when it moved on'
            )
        answer_headers = ("ETag",) if VERSION_KEY in route.rpc.output_type.fields_by_name else ()
        if route.location is not None:
            answer_headers = ("Location", *answer_headers)
        if route.cache_control is not None:
            answer_headers = (*answer_headers, "Cache-Control")
        operations.operation(
            blueprint,
            route.method,
            route.rule,
            summary=route.summary,
            tags=route.tags,
            allow=access.allow_of(route.rpc),
            responses={route.status: _documented_answer(route, answer_headers)},
            query=None,
            idempotent=route.idempotent,
            headers=headers,
            path_params=route.path_docs,
            problems=route.problems,
            route=route,
        )(view)
