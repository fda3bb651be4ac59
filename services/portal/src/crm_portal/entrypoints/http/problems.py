"""Errors as RFC 9457 problem details (`application/problem+json`), never an HTML page.

Every problem has type, title, status, detail, instance (the request path) and the
correlation id; validation problems list `errors: [{field, message}]` with the JSON field names
the client sent; a duplicate names the `existing_id`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

import grpc
from crm_platform import auth, context, errors, grpc_errors
from flask import Flask, Response, request
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException, MethodNotAllowed, RequestEntityTooLarge

from crm_portal.config import MAX_BODY_BYTES

log = logging.getLogger(__name__)

MEDIA_TYPE = "application/problem+json"
VALIDATION_TYPE = "/problems/validation"


@dataclass(frozen=True)
class FieldError:
    field: str  # dotted path into the request; "" means the body as a whole
    message: str


@dataclass(eq=False)
class Problem(Exception):
    """Raised anywhere while answering a request; rendered by the error handler."""

    status: int
    detail: str
    type: str = "about:blank"  # the status code says it all
    title: str | None = None
    errors: list[FieldError] | None = None
    extensions: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)


def invalid(errors: list[FieldError], detail: str = "the request has invalid fields") -> Problem:
    return Problem(422, detail, type=VALIDATION_TYPE, title="Request is not valid", errors=errors)


def _location(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def from_validation_error(error: ValidationError) -> Problem:
    return invalid([FieldError(_location(e["loc"]), e["msg"]) for e in error.errors()])


# gRPC status -> (HTTP status, problem type, title); the rest is a failure of the backend
_GRPC_STATUS: dict[grpc.StatusCode, tuple[int, str, str | None]] = {
    grpc.StatusCode.NOT_FOUND: (404, "about:blank", None),
    grpc.StatusCode.ALREADY_EXISTS: (409, "/problems/already-exists", "Already exists"),
    grpc.StatusCode.INVALID_ARGUMENT: (422, VALIDATION_TYPE, "Request is not valid"),
    grpc.StatusCode.FAILED_PRECONDITION: (
        409,
        "/problems/failed-precondition",
        "Not allowed in the current state",
    ),
    grpc.StatusCode.ABORTED: (409, "/problems/version-conflict", "Changed concurrently"),
    grpc.StatusCode.PERMISSION_DENIED: (403, "about:blank", None),
    grpc.StatusCode.UNAUTHENTICATED: (401, "about:blank", None),
    grpc.StatusCode.RESOURCE_EXHAUSTED: (429, "about:blank", None),
    grpc.StatusCode.UNAVAILABLE: (503, "about:blank", None),
    grpc.StatusCode.DEADLINE_EXCEEDED: (504, "about:blank", None),
}
# the backend's message explains a client error; for these, it would only leak internals
_FIXED_DETAIL = {
    503: "a backend service is unavailable; retry later",
    504: "a backend service did not answer in time",
    502: "a backend service failed",
}


def _same(path: str) -> str:
    return path


def from_status(
    details: grpc_errors.ErrorDetails, json_field: Callable[[str], str] = _same
) -> Problem:
    """`json_field`: the JSON name the client sent for a field path of the request message."""
    status, type_, title = _GRPC_STATUS.get(details.code, (502, "about:blank", None))
    problem = Problem(status, _FIXED_DETAIL.get(status, details.message), type=type_, title=title)
    if details.code == grpc.StatusCode.INVALID_ARGUMENT:
        problem.errors = [
            FieldError(json_field(v.field), v.description) for v in details.violations
        ]
        if problem.errors:  # the message would repeat them with the backend's field names
            problem.detail = "the request has invalid fields"
    if details.existing_id:
        problem.extensions["existing_id"] = details.existing_id
    if status == 503:
        problem.headers["Retry-After"] = "1"
    if status == 401:
        problem.headers["WWW-Authenticate"] = "Bearer"
    return problem


def from_rpc_error(error: grpc.RpcError, json_field: Callable[[str], str] = _same) -> Problem:
    details = grpc_errors.details_of(error)
    if details.code not in _GRPC_STATUS or details.code in (
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DEADLINE_EXCEEDED,
    ):
        log.warning("backend call failed: %s %s", details.code.name, details.message[:300])
    return from_status(details, json_field)


def from_domain_error(error: errors.DomainError) -> Problem:
    """An error raised in the gateway itself (authentication), mapped like a backend's."""
    violations = error.violations if isinstance(error, errors.ValidationFailed) else []
    existing_id = error.existing_id if isinstance(error, errors.AlreadyExists) else None
    return from_status(
        grpc_errors.ErrorDetails(grpc_errors.code_for(error), str(error), violations, existing_id)
    )


def from_http_exception(error: HTTPException) -> Problem:
    status = error.code or 500
    problem = Problem(status, error.description or HTTPStatus(status).phrase)
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        problem.headers["Allow"] = ", ".join(sorted(error.valid_methods))
        problem.detail = f"{request.method} is not allowed here; use {problem.headers['Allow']}"
    if isinstance(error, RequestEntityTooLarge):
        problem.detail = f"the request body is larger than {MAX_BODY_BYTES} bytes"
    if status == 404:
        problem.detail = f"no resource at {request.path}"
    if status == 401:
        problem.headers["WWW-Authenticate"] = "Bearer"
    if status == 429:  # the limiter's description is the limit, e.g. "600 per 1 minute"
        problem.detail = f"too many requests: the limit is {problem.detail}; see Retry-After"
    return problem


def response(problem: Problem) -> Response:
    body: dict[str, Any] = {
        "type": problem.type,
        "title": problem.title or HTTPStatus(problem.status).phrase,
        "status": problem.status,
        "detail": problem.detail,
        "instance": request.path,
        "correlation_id": context.current_correlation_id(),
    }
    if problem.errors is not None:
        body["errors"] = [{"field": e.field, "message": e.message} for e in problem.errors]
    body.update(problem.extensions)
    return Response(
        json.dumps(body, separators=(",", ":")),
        status=problem.status,
        mimetype=MEDIA_TYPE,
        headers=problem.headers,
    )


def _unexpected(error: Exception) -> Response:
    log.exception("unexpected error answering %s %s", request.method, request.path)
    return response(
        Problem(500, "an unexpected error occurred; quote the correlation id when reporting it")
    )


def _keys_unavailable(error: auth.KeysUnavailable) -> Response:
    log.warning("%s %s: %s", request.method, request.path, error)
    return response(
        Problem(
            503, "the token signing keys are not known yet; retry", headers={"Retry-After": "1"}
        )
    )


def register(app: Flask) -> None:
    app.register_error_handler(Problem, response)
    app.register_error_handler(auth.KeysUnavailable, _keys_unavailable)
    app.register_error_handler(HTTPException, lambda error: response(from_http_exception(error)))
    app.register_error_handler(grpc.RpcError, lambda error: response(from_rpc_error(error)))
    app.register_error_handler(errors.DomainError, lambda error: response(from_domain_error(error)))
    app.register_error_handler(Exception, _unexpected)
