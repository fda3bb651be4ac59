"""Route declarations: one place per route says what it reads, answers and who may call it.

Every route of the portal is declared with `operation(...)` instead of Flask's `@bp.get`:
the rows of the route table (routes.py) through gateway.register, and the hand-written views
(tokens, registration, the portal's own record) directly::

    @operation(
        identity, "POST", "/api/v1/auth/revoke",
        summary="Revoke a token",
        tags=["auth"],
        allow=PUBLIC,
        body=schemas.RevokeRequest,
        form=True,
        responses={200: Answer("Revoked, or not a token this portal knows (RFC 7009)")},
    )
    def revoke_token() -> Response: ...

The one declaration drives:

- routing: the rule is added to the blueprint (or app) with that method;
- validation: the query string is checked against `query` (default: no parameters at all)
  and the JSON body against `body`, before anything else runs; a view that takes a `query`
  or `body` parameter receives the validated model (a view may also read them itself with
  `inputs.body(...)`, e.g. a form-encoded body, as long as the declared model is the one it
  uses); `form=True` documents application/x-www-form-urlencoded as well as JSON;
- authorization: `allow` is a `crm_platform.auth.Allow` (staff roles, machine scopes,
  customers, partner users) or `PUBLIC`. A protected route without an authenticated principal
  answers 401, an authenticated principal the rule does not permit answers 403. The
  principal is in `crm_platform.context.principal` while the view runs;
- `Idempotency-Key` (`idempotent=True`, POST): see `idempotency.py`;
- the OpenAPI document (`openapi.py`): path and query parameters, request body, responses,
  the problem responses that apply, security requirements; `summary`, `tags` and the view's
  docstring (as the description).

Path parameters come from the rule's converters (`<uuid:id>`, `<any(a, b):x>`, `<int:n>`);
`path_params` adds their descriptions. Routes declared with `documented=False` (the docs page
and its files) are left out of the document; every other route must be declared (a test
walks the URL map).
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from crm_platform import context
from crm_platform.access import PUBLIC as PUBLIC  # the routes declare it from here
from crm_platform.access import Allow, Public
from flask import Blueprint, Flask, current_app, g, request
from google.protobuf.descriptor import Descriptor
from pydantic import BaseModel

from crm_portal import schemas
from crm_portal.entrypoints.http import auth, idempotency, inputs
from crm_portal.entrypoints.http.problems import Problem

F = TypeVar("F", bound=Callable[..., Any])

OPERATION_ATTRIBUTE = "crm_operation"
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


@dataclass(frozen=True)
class Answer:
    """One documented success response: description, JSON body (a pydantic model, or the
    descriptor of a proto message answered as JSON by gateway.py), headers it sets."""

    description: str
    model: type[BaseModel] | Descriptor | None = None
    headers: tuple[str, ...] = ()
    media_type: str = "application/json"


@dataclass(frozen=True)
class Operation:
    method: str
    rule: str  # the Flask rule, relative to the blueprint's prefix
    summary: str
    allow: Allow | Public
    responses: Mapping[int, Answer]
    tags: tuple[str, ...] = ()
    body: type[BaseModel] | None = None
    body_required: bool = True
    form: bool = False
    query: type[BaseModel] | None = schemas.NoQuery
    idempotent: bool = False
    headers: Mapping[str, str] = field(default_factory=dict)  # request header -> description
    path_params: Mapping[str, str] = field(default_factory=dict)  # name -> description
    problems: tuple[int, ...] = ()  # further problem statuses the route answers
    documented: bool = True
    description: str | None = None
    route: Any = None  # the gateway row (gateway.Route) a route of the table serves

    @property
    def public(self) -> bool:
        return isinstance(self.allow, Public)


def operation(
    scaffold: Blueprint | Flask,
    method: str,
    rule: str,
    *,
    summary: str,
    allow: Allow | Public,
    responses: Mapping[int, Answer],
    tags: Iterable[str] = (),
    body: type[BaseModel] | None = None,
    body_required: bool = True,
    form: bool = False,
    query: type[BaseModel] | None = schemas.NoQuery,
    idempotent: bool = False,
    headers: Mapping[str, str] | None = None,
    path_params: Mapping[str, str] | None = None,
    problems: Iterable[int] = (),
    documented: bool = True,
    route: Any = None,
) -> Callable[[F], F]:
    """Declare and register a route; see the module docstring."""
    method = method.upper()
    if idempotent and method != "POST":
        raise ValueError("Idempotency-Key applies to POST routes")

    def register(view: F) -> F:
        declared = Operation(
            method=method,
            rule=rule,
            summary=summary,
            allow=allow,
            responses=dict(responses),
            tags=tuple(tags),
            body=body,
            body_required=body_required,
            form=form,
            query=query,
            idempotent=idempotent,
            headers=dict(headers or {}),
            path_params=dict(path_params or {}),
            problems=tuple(problems),
            documented=documented,
            description=inspect.getdoc(view),
            route=route,
        )
        parameters = inspect.signature(view).parameters
        wants_body = "body" in parameters
        wants_query = "query" in parameters

        @functools.wraps(view)
        def handle(**path: Any) -> Any:
            _authorize(declared)
            query_model = inputs.query(declared.query) if declared.query is not None else None
            body_model = None
            if declared.body is not None and wants_body:
                body_model = inputs.body(declared.body, optional=not declared.body_required)
            if wants_query:
                path["query"] = query_model
            if wants_body:
                path["body"] = body_model
            if declared.idempotent:
                return idempotency.once(lambda: view(**path))
            return view(**path)

        setattr(handle, OPERATION_ATTRIBUTE, declared)
        scaffold.add_url_rule(rule, view.__name__, handle, methods=[method])
        return view

    return register


def of(view: Callable[..., Any] | None) -> Operation | None:
    """The declaration of a registered view function, if it has one."""
    found: Operation | None = getattr(view, OPERATION_ATTRIBUTE, None)
    return found


def current() -> Operation | None:
    """The declaration of the route answering the current request (None when none matched)."""
    if request.url_rule is None or request.endpoint is None:
        return None
    return of(current_app.view_functions.get(request.endpoint))


# -- authentication and authorization -----------------------------------------------------------


def is_authenticated(principal: context.Principal) -> bool:
    """A principal the gateway verified carries the token it came with."""
    return principal.token is not None


def _authenticate() -> None:
    """Before anything else: who calls a protected route (auth.authenticate decides; a token
    it refuses is a 401). Public routes, unmatched paths and probes read no token."""
    declared = current()
    if declared is None or declared.public or request.method == "OPTIONS":
        return  # OPTIONS: Flask answers the allowed methods itself, without the view
    g.principal_token = context.principal.set(auth.authenticate(request))


def _forget_principal(_error: BaseException | None) -> None:
    token = g.pop("principal_token", None)
    if token is not None:
        context.principal.reset(token)


def unauthenticated(detail: str) -> Problem:
    return Problem(401, detail, headers={"WWW-Authenticate": "Bearer"})


def _authorize(declared: Operation) -> None:
    if isinstance(declared.allow, Public):
        return
    principal = context.principal.get()
    if not is_authenticated(principal):
        raise unauthenticated("an access token is required: Authorization: Bearer <token>")
    if not declared.allow.permits(principal):
        raise Problem(403, f"{principal.subject} may not {declared.summary.lower()}")


def install(app: Flask) -> None:
    """Authenticate before the other request hooks that need the principal (rate limits)."""
    app.before_request(_authenticate)
    app.teardown_request(_forget_principal)


# -- path parameters ---------------------------------------------------------------------------

_RULE_VARIABLE = re.compile(r"<(?:(?P<converter>\w+)(?:\((?P<args>[^)]*)\))?:)?(?P<name>\w+)>")


@dataclass(frozen=True)
class PathParam:
    name: str
    schema: dict[str, Any]


def path_params(rule: str) -> list[PathParam]:
    """The variables of a Flask rule with the JSON schema of their converter."""
    found = []
    for match in _RULE_VARIABLE.finditer(rule):
        converter = match.group("converter") or "string"
        schema: dict[str, Any]
        if converter == "uuid":
            schema = {"type": "string", "format": "uuid"}
        elif converter == "int":
            schema = {"type": "integer", "minimum": 0}
        elif converter == "float":
            schema = {"type": "number", "minimum": 0}
        elif converter == "any":
            args = match.group("args") or ""
            schema = {
                "type": "string",
                "enum": [a.strip().strip("'\"") for a in args.split(",") if a.strip()],
            }
        else:  # string, path
            schema = {"type": "string", "minLength": 1}
            if converter == "string":
                schema["pattern"] = "^[^/]+$"
        found.append(PathParam(match.group("name"), schema))
    return found
