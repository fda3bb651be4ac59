"""The pages' way to the services: the gateway's own REST routes, called in-process with the
signed-in user's own access token.

Each call is a request through the whole app (authentication, the route's access rule, field
validation, rate limits, the circuit breakers), so a page can do nothing its user could not do
through the API. It runs in a fresh context, so the page's request context (its `g`, the
principal) is not shared with the call; the caller's address and correlation id go with it.

An access token that expired is renewed once with the refresh token (the new pair is kept
for the response's cookies, see session.py); without one, or when that fails, the user signs
in again.
"""

from __future__ import annotations

import contextvars
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from crm_platform import context
from flask import Flask, current_app, request
from werkzeug.test import Client, TestResponse

from crm_portal.entrypoints.http.observability import CORRELATION_HEADER
from crm_portal.entrypoints.web import session

API = "/api/v1"
TOKEN_PATH = f"{API}/auth/token"


@dataclass(frozen=True)
class FieldProblem:
    field: str
    message: str


@dataclass(eq=False)
class GatewayError(Exception):
    """A route answered a problem: its status, detail and the fields it named (422)."""

    status: int
    detail: str
    errors: list[FieldProblem] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.status}: {self.detail}"


class SignInRequired(Exception):
    """No session, or one the gateway no longer accepts."""


def _problem(response: TestResponse) -> GatewayError:
    body = response.get_json(silent=True) or {}
    detail = body.get("detail") or body.get("error_description") or response.status
    errors = [
        FieldProblem(str(e.get("field", "")), str(e.get("message", "")))
        for e in body.get("errors") or []
    ]
    return GatewayError(response.status_code, str(detail), errors)


def _dispatch(
    path: str,
    method: str,
    *,
    token: str | None,
    json: Any = None,
    form: Mapping[str, str] | None = None,
    query: Mapping[str, str] | None = None,
    idempotency_key: str | None = None,
    upload: tuple[bytes, str] | None = None,
) -> TestResponse:
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    headers = {CORRELATION_HEADER: context.current_correlation_id()}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    client = Client(app, use_cookies=False)
    environ = {"REMOTE_ADDR": request.remote_addr or "", "wsgi.url_scheme": request.scheme}
    response: TestResponse = contextvars.Context().run(
        client.open,
        path,
        method=method,
        json=json,
        data=upload[0] if upload else form,
        content_type=upload[1] if upload else None,
        query_string={k: v for k, v in (query or {}).items() if v not in ("", None)},
        headers=headers,
        environ_overrides=environ,
        base_url=request.host_url,
    )
    return response


def sign_in(username: str, password: str) -> None:
    """Password grant; the tokens become the session (a refused login is a GatewayError)."""
    response = _dispatch(
        TOKEN_PATH,
        "POST",
        token=None,
        form={"grant_type": "password", "username": username, "password": password},
    )
    if response.status_code != 200:
        raise _problem(response)
    body = response.get_json()
    session.keep(body["access_token"], body.get("refresh_token"))


def _renew() -> bool:
    refresh = session.refresh_token()
    if not refresh:
        return False
    grant = {"grant_type": "refresh_token", "refresh_token": refresh}
    response = _dispatch(TOKEN_PATH, "POST", token=None, form=grant)
    if response.status_code != 200:
        return False
    body = response.get_json()
    session.keep(body["access_token"], body.get("refresh_token"))
    return True


def call(
    method: str,
    path: str,
    *,
    json: Any = None,
    query: Mapping[str, str] | None = None,
    public: bool = False,
    idempotency_key: str | None = None,
    upload: tuple[bytes, str] | None = None,
) -> Any:
    """The JSON answer of `method path` (under /api/v1) as the signed-in user (nobody when
    `public`); a problem raises GatewayError, a missing or dead session SignInRequired.
    `idempotency_key`: a form sent twice (a double click, a reload) changes things once.
    `upload`: the body is a file (its bytes, its media type) instead of JSON."""
    return _answer(method, path, json, query, public, idempotency_key, upload).get_json(silent=True)


def download(path: str) -> str:
    """The text of a route that answers a file (a CSV), as the signed-in user."""
    return _answer("GET", path, None, None, False, None, None).get_data(as_text=True)


def _answer(
    method: str,
    path: str,
    json: Any,
    query: Mapping[str, str] | None,
    public: bool,
    idempotency_key: str | None,
    upload: tuple[bytes, str] | None,
) -> TestResponse:
    token = None if public else session.access_token()
    if not public and token is None:
        # the access token's cookie ends with the browser session, the refresh token's later
        if not _renew():
            raise SignInRequired
        token = session.access_token()
    once = idempotency_key
    response = _dispatch(
        API + path, method, token=token, json=json, query=query, idempotency_key=once,
        upload=upload,
    )  # fmt: skip
    if response.status_code == 401 and not public:
        if not _renew():
            session.forget()
            raise SignInRequired
        token = session.access_token()
        response = _dispatch(
            API + path, method, token=token, json=json, query=query, idempotency_key=once
        )
    if response.status_code >= 400:
        raise _problem(response)
    return response


def get(path: str, **query: str) -> Any:
    return call("GET", path, query=query)


def post(path: str, body: Any = None) -> Any:
    return call("POST", path, json=body if body is not None else {})


def sign_out() -> None:
    """Revoke the refresh token (with every token of its login) and end the session."""
    refresh = session.refresh_token()
    if refresh:
        _dispatch(f"{API}/auth/revoke", "POST", token=None, form={"token": refresh})
    session.forget()
