"""The OpenAPI 3.1 document at /openapi.json, and the docs page at /docs.

The document is generated from the route declarations (operations.py), once per app, on the
first request for it: the routes of the table (routes.py) from the proto descriptors and their
rules (message_schemas.py), the hand-written ones from the pydantic models that validate their
requests (`model_json_schema`). Schemas are refs into `components/schemas`. Every error is
documented as `application/problem+json`.

The docs page is Swagger UI 5 from the swagger-ui-py package's own static files (no CDN; the
Content-Security-Policy lets the page load only its own files). Swagger UI 5 reads OpenAPI 3.1,
so the page loads /openapi.json itself. The files are located on the first request for them.
"""

from __future__ import annotations

import functools
import importlib.util
import json
from http import HTTPStatus
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from crm_platform import validation
from crm_platform.access import Allow
from flask import Blueprint, Flask, Response, current_app, jsonify, send_from_directory
from google.protobuf.descriptor import Descriptor
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from crm_portal import schemas
from crm_portal.config import MAX_BODY_BYTES
from crm_portal.entrypoints.http import limits, operations, routes
from crm_portal.entrypoints.http.message_schemas import MessageSchemas
from crm_portal.entrypoints.http.observability import route_template
from crm_portal.entrypoints.http.operations import PUBLIC, Answer, Operation
from crm_portal.entrypoints.http.problems import MEDIA_TYPE as PROBLEM_MEDIA_TYPE

DOCUMENT_KEY = "crm_portal.openapi"
REF_TEMPLATE = "#/components/schemas/{model}"
TOKEN_URL = "/api/v1/auth/token"  # noqa: S105 - a path, not a secret
DOCUMENT_PATH = "/openapi.json"
SWAGGER_ASSETS = frozenset(
    {
        "swagger-ui.css",
        "swagger-ui-bundle.js",
        "swagger-ui-standalone-preset.js",
        "favicon-16x16.png",
        "favicon-32x32.png",
    }
)
# what the assets are served as, whatever the system's MIME table says
_ASSET_TYPES = {".css": "text/css", ".js": "text/javascript", ".png": "image/png"}
IDEMPOTENCY_KEY_SCHEMA = {"type": "string", "pattern": "^[!-~]{1,200}$"}
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

docs = Blueprint("docs", __name__)


@functools.cache
def swagger_ui_files() -> Path:
    """The directory of swagger-ui-py's Swagger UI 5 files (SWAGGER_ASSETS among them).

    The package is located, not imported: importing it loads its own docs-page generator
    (jinja2, PyYAML), and only its static files are used here.
    """
    spec = importlib.util.find_spec("swagger_ui")
    for location in (spec.submodule_search_locations or []) if spec is not None else []:
        static = Path(location) / "static"
        if all((static / asset).is_file() for asset in SWAGGER_ASSETS):
            return static
    raise RuntimeError("the Swagger UI files of swagger-ui-py are not installed")


def _version() -> str:
    try:
        return version("crm-portal")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0.0.0"


# -- problems ----------------------------------------------------------------------------------

_PROBLEM_DESCRIPTIONS = {
    400: "The body is not valid JSON",
    401: "No access token, or one that is not valid (expired, wrong signature, issuer or audience)",
    403: "The caller's roles or scopes do not allow this",
    404: "No such resource (or not one the caller may see)",
    409: "Conflicts with the current state, or the same Idempotency-Key is still in progress",
    412: "The resource changed since the given version",
    413: f"The body is larger than {MAX_BODY_BYTES} bytes",
    415: "The body is not application/json",
    422: "The request has invalid fields (see `errors`)",
    429: "Too many requests: wait `Retry-After` seconds",
    500: "An unexpected error (quote the correlation id)",
    502: "A backend service failed",
    503: "A backend service is unavailable; retry later",
    504: "A backend service did not answer in time",
}


def _problem_statuses(op: Operation, path: str) -> list[int]:
    statuses = {500}
    statuses.update(op.problems)
    has_body = op.body is not None or (op.route is not None and op.route.body is not None)
    if op.query is not None or has_body or op.headers or op.idempotent or op.route is not None:
        statuses.add(422)
    if has_body:
        statuses.update({400, 413, 415})
    if not op.public:
        statuses.update({401, 403})
    if "{" in path:
        statuses.add(404)
    if op.idempotent:
        statuses.add(409)
    if path.startswith(limits.API_PREFIX):
        statuses.update({429, 502, 503, 504})
    return sorted(statuses)


def _problem_response(status: int) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": _PROBLEM_DESCRIPTIONS.get(status, HTTPStatus(status).phrase),
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": REF_TEMPLATE.format(model="Problem")}}},
    }
    if status == 401:
        response["headers"] = {"WWW-Authenticate": _header("Bearer")}
    if status == 429:
        response["headers"] = {"Retry-After": _header("seconds to wait", integer=True)}
    return response


def _header(description: str, *, integer: bool = False) -> dict[str, Any]:
    return {"description": description, "schema": {"type": "integer" if integer else "string"}}


_RESPONSE_HEADERS = {
    "Location": "the URL of the created resource",
    "ETag": "the resource's version; send it as If-Match to change it safely",
    "Cache-Control": "no-store: the answer holds a secret shown this once",
    "Retry-After": "seconds to wait",
}
_RATE_LIMIT_HEADERS = {
    "X-RateLimit-Limit": "requests allowed in the current window",
    "X-RateLimit-Remaining": "requests left in the current window",
    "X-RateLimit-Reset": "when the window ends (UNIX time)",
}


# -- the document --------------------------------------------------------------------------------


class _Schemas:
    """Collects the JSON schemas of models into components/schemas."""

    def __init__(self) -> None:
        self.components: dict[str, Any] = {}
        self._wanted: list[tuple[type[BaseModel], JsonSchemaMode]] = []

    def want(self, model: type[BaseModel], mode: JsonSchemaMode) -> None:
        if (model, mode) not in self._wanted:
            self._wanted.append((model, mode))

    def build(self) -> dict[tuple[type[BaseModel], JsonSchemaMode], dict[str, Any]]:
        refs, top = models_json_schema(self._wanted, ref_template=REF_TEMPLATE)
        self.components.update(top.get("$defs", {}))
        return {(model, mode): dict(refs[(model, mode)]) for model, mode in self._wanted}


def _query_parameters(model: type[BaseModel]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    schema = model.model_json_schema(ref_template=REF_TEMPLATE, mode="validation")
    required = set(schema.get("required", []))
    parameters = []
    for name, prop in schema.get("properties", {}).items():
        prop = _without_null(dict(prop))
        description = prop.pop("description", None)
        prop.pop("default", None)
        prop.pop("title", None)
        parameter: dict[str, Any] = {
            "name": name,
            "in": "query",
            "required": name in required,
            "schema": prop,
        }
        if description:
            parameter["description"] = description
        parameters.append(parameter)
    return parameters, schema.get("$defs", {})


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """`X | None` -> X: an absent query parameter is the null."""
    options = schema.get("anyOf")
    if isinstance(options, list):
        kept = [o for o in options if o != {"type": "null"}]
        if len(kept) == 1:
            merged = {k: v for k, v in schema.items() if k != "anyOf"}
            merged.update(kept[0])
            return merged
        schema["anyOf"] = kept
    return schema


def _allow_description(allow: Allow) -> str:
    who = []
    if allow.roles:
        who.append("staff roles " + ", ".join(sorted(allow.roles)))
    if allow.scopes:
        who.append("machine clients with scope " + " or ".join(sorted(allow.scopes)))
    if allow.customers:
        who.append("customers (their own record)")
    if allow.partners:
        who.append("partner users (what is assigned to their partner)")
    return "Allowed: " + ("; ".join(who) if who else "nobody") + "."


def build(app: Flask) -> dict[str, Any]:
    """The OpenAPI 3.1 document of every declared route of `app`."""
    collected = _Schemas()
    collected.want(schemas.Problem, "serialization")
    entries: list[tuple[str, str, Operation, list[operations.PathParam]]] = []
    for rule in app.url_map.iter_rules():
        op = operations.of(app.view_functions.get(rule.endpoint))
        if op is None or not op.documented:
            continue
        path = route_template(rule.rule)
        entries.append((path, op.method.lower(), op, operations.path_params(rule.rule)))
        if op.body is not None:
            collected.want(op.body, "validation")
        for answer in op.responses.values():
            if isinstance(answer.model, type):
                collected.want(answer.model, "serialization")
    refs = collected.build()
    messages = MessageSchemas(routes.CODEC)

    paths: dict[str, dict[str, Any]] = {}
    scopes: set[str] = set()
    for path, method, op, variables in sorted(
        entries, key=lambda e: (e[0], HTTP_METHODS.index(e[1]))
    ):
        item: dict[str, Any] = {
            "operationId": _operation_id(op, path),
            "summary": op.summary,
        }
        if op.tags:
            item["tags"] = list(op.tags)
        description = op.description or ""
        if isinstance(op.allow, Allow):
            description = (description + "\n\n" if description else "") + _allow_description(
                op.allow
            )
        if op.idempotent:
            description += (
                "\n\nSend `Idempotency-Key` to make a retry safe: the same key and request "
                "within 24 hours answer the first response again."
            )
        if description:
            item["description"] = description.strip()
        parameters: list[dict[str, Any]] = []
        for variable in variables:
            parameter: dict[str, Any] = {
                "name": variable.name,
                "in": "path",
                "required": True,
                "schema": variable.schema,
            }
            if variable.name in op.path_params:
                parameter["description"] = op.path_params[variable.name]
            parameters.append(parameter)
        if op.route is not None:
            parameters.extend(_route_parameters(messages, op.route))
        if op.query is not None:
            query_parameters, defs = _query_parameters(op.query)
            collected.components.update(defs)
            parameters.extend(query_parameters)
        for name, text in op.headers.items():
            parameters.append(
                {"name": name, "in": "header", "required": False, "description": text,
                 "schema": {"type": "string"}}
            )  # fmt: skip
        if op.idempotent:
            parameters.append(
                {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "required": False,
                    "description": "a unique key per intended change (e.g. a UUID)",
                    "schema": IDEMPOTENCY_KEY_SCHEMA,
                }
            )
        if parameters:
            item["parameters"] = parameters
        if op.body is not None:
            body_schema = refs[(op.body, "validation")]
            content = {"application/json": {"schema": body_schema}}
            if op.form:
                content["application/x-www-form-urlencoded"] = {"schema": body_schema}
            item["requestBody"] = {"required": op.body_required, "content": content}
        if op.route is not None and op.route.upload is not None:
            item["requestBody"] = {
                "required": True,
                "content": {op.route.upload[1]: {"schema": {"type": "string"}}},
            }
        if op.route is not None and op.route.body is not None:
            item["requestBody"] = {
                "required": op.route.body_required,
                "content": {"application/json": {"schema": messages.body(op.route)}},
            }
        item["responses"] = _responses(op, path, refs, messages)
        if isinstance(op.allow, Allow):
            scopes.update(op.allow.scopes)
            item["security"] = [{"bearerAuth": []}, {"oauth2": sorted(op.allow.scopes)}]
        else:
            item["security"] = []
        paths.setdefault(path, {})[method] = item

    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Guanxi CRM API",
            "version": _version(),
            "description": (
                "The REST API of Guanxi CRM. Get an access token at `POST /api/v1/auth/token` "
                "and send it as `Authorization: Bearer <token>`. Errors are RFC 9457 "
                "`application/problem+json`. Requests are rate-limited per caller "
                "(`X-RateLimit-*` headers; 429 with `Retry-After`). POST routes that create "
                "accept `Idempotency-Key`."
            ),
        },
        "paths": paths,
        "components": {
            "schemas": dict(sorted({**collected.components, **messages.components}.items())),
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "an access token from POST /api/v1/auth/token",
                },
                "oauth2": {
                    "type": "oauth2",
                    "description": "staff and customers: password; machine clients: client "
                    "credentials with scopes",
                    "flows": {
                        "password": {"tokenUrl": TOKEN_URL, "scopes": {}},
                        "clientCredentials": {
                            "tokenUrl": TOKEN_URL,
                            "scopes": {scope: f"the `{scope}` scope" for scope in sorted(scopes)},
                        },
                    },
                },
            },
        },
    }


def _operation_id(op: Operation, path: str) -> str:
    words = [w.strip("{}") for w in path.strip("/").replace(".", "_").split("/")]
    return op.method.lower() + "_" + "_".join(w.replace("-", "_") for w in words if w)


def _route_parameters(messages: MessageSchemas, route: Any) -> list[dict[str, Any]]:
    """The query parameters of a gateway route, from its request's fields."""
    parameters = []
    for name, (_top, field) in route.query_fields(messages.codec).items():
        schema = messages.request_field(field)
        rules = validation.rules_of(field)
        parameter: dict[str, Any] = {
            "name": name,
            "in": "query",
            "required": bool(rules is not None and rules.required),
            "schema": schema,
        }
        description = schema.pop("description", None)
        if description:
            parameter["description"] = description
        parameters.append(parameter)
    return parameters


def _responses(
    op: Operation,
    path: str,
    refs: dict[tuple[type[BaseModel], JsonSchemaMode], dict[str, Any]],
    messages: MessageSchemas,
) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    limited = path.startswith(limits.API_PREFIX)
    for status, answer in sorted(op.responses.items()):
        responses[str(status)] = _answer(answer, refs, messages, limited=limited)
    for status in _problem_statuses(op, path):
        responses.setdefault(str(status), _problem_response(status))
    responses["default"] = {
        "description": "Any other error",
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": REF_TEMPLATE.format(model="Problem")}}},
    }
    return responses


def _answer(
    answer: Answer,
    refs: dict[tuple[type[BaseModel], JsonSchemaMode], dict[str, Any]],
    messages: MessageSchemas,
    *,
    limited: bool,
) -> dict[str, Any]:
    documented: dict[str, Any] = {"description": answer.description}
    if isinstance(answer.model, Descriptor):
        documented["content"] = {answer.media_type: {"schema": messages.answer(answer.model)}}
    elif answer.model is not None:
        documented["content"] = {
            answer.media_type: {"schema": refs[(answer.model, "serialization")]}
        }
    headers: dict[str, Any] = {}
    for name in answer.headers:
        headers[name] = {**_header(_RESPONSE_HEADERS.get(name, name)), "required": True}
    if limited:
        for name, text in _RATE_LIMIT_HEADERS.items():
            headers[name] = _header(text, integer=True)
    if headers:
        documented["headers"] = headers
    return documented


def document() -> dict[str, Any]:
    found: dict[str, Any] | None = current_app.extensions.get(DOCUMENT_KEY)
    if found is None:
        found = build(current_app)
        current_app.extensions[DOCUMENT_KEY] = found
    return found


# -- routes --------------------------------------------------------------------------------------

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Guanxi CRM API</title>
<link rel="stylesheet" href="/docs/swagger-ui.css">
<link rel="icon" type="image/png" href="/docs/favicon-32x32.png" sizes="32x32">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/swagger-ui-standalone-preset.js"></script>
<script src="/docs/init.js"></script>
</body>
</html>
"""

_INIT = """window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: %s,
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: "StandaloneLayout"
  });
};
"""

# the page loads only its own files: no inline script, nothing from elsewhere
_DOCS_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; connect-src 'self'; frame-ancestors 'none'"
)


def _docs_response(body: str, mimetype: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Security-Policy"] = _DOCS_POLICY
    response.headers["Cache-Control"] = "no-cache"
    return response


@operations.operation(
    docs,
    "GET",
    DOCUMENT_PATH,
    summary="This API's OpenAPI document",
    tags=["meta"],
    allow=PUBLIC,
    responses={200: Answer("The OpenAPI 3.1 document")},
)
def openapi_document() -> Response:
    """Generated from the routes and the models that validate their requests."""
    return jsonify(document())


@operations.operation(
    docs, "GET", "/docs", summary="API docs page", allow=PUBLIC, documented=False,
    responses={200: Answer("Swagger UI", media_type="text/html")},
)  # fmt: skip
def docs_page() -> Response:
    return _docs_response(_PAGE, "text/html")


@operations.operation(
    docs, "GET", "/docs/init.js", summary="API docs page script", allow=PUBLIC,
    documented=False, responses={200: Answer("script")},
)  # fmt: skip
def docs_script() -> Response:
    return _docs_response(_INIT % json.dumps(DOCUMENT_PATH), "text/javascript")


@operations.operation(
    docs, "GET", f"/docs/<any({', '.join(repr(name) for name in sorted(SWAGGER_ASSETS))}):asset>",
    summary="API docs page files", allow=PUBLIC, documented=False,
    responses={200: Answer("a file of Swagger UI")},
)  # fmt: skip
def docs_asset(asset: str) -> Response:
    response = send_from_directory(
        swagger_ui_files(), asset, mimetype=_ASSET_TYPES[Path(asset).suffix], max_age=3600
    )
    response.headers["Content-Security-Policy"] = _DOCS_POLICY
    return response
