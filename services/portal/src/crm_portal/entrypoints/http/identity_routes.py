"""Identity routes that are more than one RPC call: the OAuth 2.0 token and revocation
endpoints, the JWKS and the customer portal (registration with its own rate limit, the
caller's own record). The admin API (accounts, machine clients, signing keys) is rows of the
route table (routes.IDENTITY_ROUTES).

Token endpoint errors follow RFC 6749 section 5.2 inside a problem document: the body is
`application/problem+json` with the OAuth members `error` and `error_description` next to the
problem's own (`type` is `/problems/oauth/<error>`), status 400, or 401 for `invalid_client`.
OAuth clients read `error`; everything else reads a problem like any other.

Each route calls the identity service over gRPC (a deadline, no retry of the calls that change
something); the gateway neither hashes passwords nor holds signing keys. Login attempts are
limited here, at the edge, per client address (failed grants of any kind) and per username
(failed password grants): a breach answers 429 with Retry-After.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, TypeVar
from urllib.parse import unquote_plus

from crm_platform import context
from crm_platform.auth import Allow, RemoteKeys
from crm_proto.crm.customer.v1 import customer_pb2
from crm_proto.crm.identity.v1 import identity_pb2
from flask import Blueprint, Flask, Response, current_app, jsonify, request, url_for
from google.protobuf.message import Message
from pydantic import BaseModel, ValidationError

from crm_portal import identity_schemas as schemas
from crm_portal.entrypoints.http import gateway, routes
from crm_portal.entrypoints.http.gateway import backends
from crm_portal.entrypoints.http.limits import client_address, limiter
from crm_portal.entrypoints.http.operations import PUBLIC, Answer, operation
from crm_portal.entrypoints.http.problems import MEDIA_TYPE, Problem

KEYS_KEY = "crm_portal.signing_keys"
LOGIN_LIMIT_PER_ADDRESS = "CRM_PORTAL_LOGIN_LIMIT_PER_ADDRESS"
LOGIN_LIMIT_PER_USERNAME = "CRM_PORTAL_LOGIN_LIMIT_PER_USERNAME"
REGISTRATION_LIMIT = "CRM_PORTAL_REGISTRATION_LIMIT"
DEFAULT_LIMITS = {
    LOGIN_LIMIT_PER_ADDRESS: "30/minute;300/hour",
    LOGIN_LIMIT_PER_USERNAME: "5/minute;30/hour",
    REGISTRATION_LIMIT: "20/hour",
}
FORM = "application/x-www-form-urlencoded"
JWKS_MAX_AGE = 60  # seconds; verifiers also refetch on an unknown kid
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}  # RFC 6749 section 5.1

# only customers have an own record (GetCustomer and UpdateCustomer also let staff in)
OWN_RECORD = Allow(customers=True)

IDENTITY = routes.IDENTITY

M = TypeVar("M", bound=BaseModel)
R = TypeVar("R", bound=Message)

identity = Blueprint("identity", __name__)


class OAuthError(Exception):
    """An error of the token endpoint, answered as RFC 6749 section 5.2 says."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = 401 if error == "invalid_client" else 400


def provide(app: Flask, keys: RemoteKeys | None, limits: Mapping[str, str] | None = None) -> None:
    """Give `app` the signing keys it publishes (its copy of identity's) and the login and
    registration limits."""
    app.extensions[KEYS_KEY] = keys
    for name, default in DEFAULT_LIMITS.items():
        app.config[name] = (limits or {}).get(name) or default


def call(method: str, request_: Message, answer: type[R]) -> R:
    """One call of identity, through the gateway's backends (deadline, circuit breaker)."""
    reply = backends().call(IDENTITY.methods_by_name[method], request_)
    assert isinstance(reply, answer)
    return reply


# -- answers ----------------------------------------------------------------------------------


def _json(payload: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    response = jsonify(payload)
    response.status_code = status
    response.headers.update(headers or {})
    return response


def oauth_error_response(error: OAuthError) -> Response:
    body = {
        "type": f"/problems/oauth/{error.error}",
        "title": "Client authentication failed" if error.status == 401 else "Token request refused",
        "status": error.status,
        "detail": error.description,
        "instance": request.path,
        "correlation_id": context.current_correlation_id(),
        "error": error.error,
        "error_description": error.description,
    }
    headers = dict(NO_STORE)
    if error.status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="guanxi"'
    return Response(
        json.dumps(body, separators=(",", ":")),
        status=error.status,
        mimetype=MEDIA_TYPE,
        headers=headers,
    )


identity.register_error_handler(OAuthError, oauth_error_response)


# -- OAuth parameters -------------------------------------------------------------------------


def _raw_oauth_params() -> dict[str, Any]:
    """The request's parameters, form-encoded or JSON; invalid_request when neither."""
    if request.mimetype == FORM:
        repeated = [name for name in request.form if len(request.form.getlist(name)) > 1]
        if repeated:
            raise OAuthError("invalid_request", f"repeated parameters: {', '.join(repeated)}")
        return request.form.to_dict()
    if request.mimetype == "application/json":
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            raise OAuthError("invalid_request", "the body is not a JSON object")
        return data
    raise OAuthError("invalid_request", f"send the parameters as {FORM} (or application/json)")


def _oauth_params(model: type[M]) -> M:
    try:
        return model.model_validate(_raw_oauth_params())
    except ValidationError as exc:
        fields = ", ".join(
            ".".join(str(part) for part in error["loc"]) or "body" for error in exc.errors()
        )
        raise OAuthError("invalid_request", f"missing or invalid parameters: {fields}") from None


def _param(name: str) -> str:
    """One raw parameter for the limiter's keys; empty when absent or unreadable."""
    try:
        value = _raw_oauth_params().get(name)
    except OAuthError:
        return ""
    return value.strip() if isinstance(value, str) else ""


def _not_password_grant() -> bool:
    return _param("grant_type") != "password"


def _username_key() -> str:
    return "login-username:" + _param("username").lower()[:254]


def _refused(response: Response) -> bool:
    """Only refused attempts count: a user who signs in fine is never locked out."""
    return response.status_code in (400, 401)


def _login_limit_per_address() -> str:
    value: str = (
        current_app.config.get(LOGIN_LIMIT_PER_ADDRESS) or DEFAULT_LIMITS[LOGIN_LIMIT_PER_ADDRESS]
    )
    return value


def _login_limit_per_username() -> str:
    value: str = (
        current_app.config.get(LOGIN_LIMIT_PER_USERNAME) or DEFAULT_LIMITS[LOGIN_LIMIT_PER_USERNAME]
    )
    return value


def _registration_limit() -> str:
    value: str = current_app.config.get(REGISTRATION_LIMIT) or DEFAULT_LIMITS[REGISTRATION_LIMIT]
    return value


def _client_credentials(params: schemas.TokenRequest) -> tuple[str, str]:
    """From HTTP Basic (each part form-encoded, RFC 6749 section 2.3.1) or the body; using
    both at once is refused."""
    basic = request.authorization
    in_body = params.client_id is not None or params.client_secret is not None
    if basic is not None and basic.type == "basic":
        if in_body:
            raise OAuthError("invalid_request", "authenticate the client one way, not two")
        return unquote_plus(basic.username or ""), unquote_plus(basic.password or "")
    if params.client_id and params.client_secret:
        return params.client_id, params.client_secret
    raise OAuthError("invalid_client", "client authentication is required")


def _token_reply(issued: identity_pb2.IssueTokenResponse) -> Response:
    if issued.error:
        raise OAuthError(issued.error, issued.error_description)
    body: dict[str, Any] = {
        "access_token": issued.access_token,
        "token_type": "Bearer",
        "expires_in": issued.expires_in,
    }
    if issued.refresh_token:
        body["refresh_token"] = issued.refresh_token
    body["scope"] = issued.scope
    return _json(body, headers=NO_STORE)


# -- OAuth endpoints --------------------------------------------------------------------------


@operation(
    identity, "POST", "/api/v1/auth/token",
    summary="Get an access token", tags=["auth"], allow=PUBLIC,
    body=schemas.TokenRequest, form=True,
    responses={200: Answer("The tokens (RFC 6749 section 5.1)", schemas.TokenReply)},
    problems=[400, 401, 429],
)  # fmt: skip
@limiter.limit(
    _login_limit_per_address, key_func=lambda: "login-address:" + client_address(),
    deduct_when=_refused, override_defaults=True,
)  # fmt: skip
@limiter.limit(
    _login_limit_per_username, key_func=_username_key,
    exempt_when=_not_password_grant, deduct_when=_refused, override_defaults=True,
)  # fmt: skip
def issue_token() -> Response:
    """OAuth 2.0 token endpoint: `grant_type=password` (username is the email),
    `refresh_token` (the refresh token is replaced by a new one at every use; presenting a
    replaced one revokes every token of that login) or `client_credentials` (machine
    clients). Parameters form-encoded or JSON. Errors carry the OAuth `error` member
    (invalid_request, invalid_client, invalid_grant, invalid_scope, unsupported_grant_type)."""
    params = _oauth_params(schemas.TokenRequest)
    grant = identity_pb2.IssueTokenRequest(
        grant_type=params.grant_type,
        username=params.username or "",
        password=params.password or "",
        refresh_token=params.refresh_token or "",
        scope=params.scope or "",
        client_address=client_address(),
    )
    if params.grant_type == "client_credentials":
        grant.client_id, grant.client_secret = _client_credentials(params)
    return _token_reply(call("IssueToken", grant, identity_pb2.IssueTokenResponse))


@operation(
    identity, "POST", "/api/v1/auth/revoke",
    summary="Revoke a token", tags=["auth"], allow=PUBLIC,
    body=schemas.RevokeRequest, form=True,
    responses={200: Answer("Revoked, or not a token this portal knows (RFC 7009)")},
    problems=[400],
)  # fmt: skip
def revoke_token() -> Response:
    """RFC 7009. A refresh token is revoked together with every token of the same login.
    An access token cannot be recalled: it expires within minutes."""
    params = _oauth_params(schemas.RevokeRequest)
    call("RevokeToken", identity_pb2.RevokeTokenRequest(token=params.token),
         identity_pb2.RevokeTokenResponse)  # fmt: skip
    return Response(status=200, headers=NO_STORE)


@operation(
    identity, "GET", "/.well-known/jwks.json",
    summary="The keys that sign access tokens", tags=["auth"], allow=PUBLIC,
    responses={200: Answer("JSON Web Key Set (RFC 7517): the active key and those retired "
                           "while tokens they signed may still be valid", schemas.Jwks)},
)  # fmt: skip
def jwks() -> Response:
    """The gateway's own copy of identity's public keys, refreshed in the background."""
    keys: RemoteKeys | None = current_app.extensions.get(KEYS_KEY)
    document = keys.document() if keys is not None else None
    if document is None:
        raise Problem(503, "the token signing keys are not fetched from identity yet")
    return _json(document, headers={"Cache-Control": f"public, max-age={JWKS_MAX_AGE}"})


# -- customer portal --------------------------------------------------------------------------


@operation(
    identity, "POST", "/api/v1/portal/register",
    summary=routes.REGISTRATION.summary, tags=["portal"], allow=PUBLIC,
    responses={201: Answer(routes.REGISTRATION.answer, identity_pb2.RegisterResponse.DESCRIPTOR,
                           headers=("Location",))},
    problems=[403, 409, 429], route=routes.REGISTRATION,
)  # fmt: skip
@limiter.limit(
    _registration_limit, key_func=lambda: "registration:" + client_address(),
    override_defaults=True,
)  # fmt: skip
def register() -> Response:
    """Creates the customer record (source `portal`) and a login linked to it; then get a
    token with `grant_type=password`. An email or phone that belongs to a customer already,
    or an email with a login, is a 409 (without saying whose); a blacklisted email or phone
    cannot register (403)."""
    response = gateway.serve(routes.CODEC, routes.REGISTRATION, {})
    response.headers["Location"] = url_for(".own_record")
    return response


def _own_customer_id() -> str:
    customer_id = context.principal.get().customer_id
    if customer_id is None:  # the rule lets only customers in; kept for the type
        raise Problem(403, "only customers have an own record")
    return customer_id


@operation(
    identity, "GET", "/api/v1/portal/me",
    summary=routes.OWN_RECORD.summary, tags=["portal"], allow=OWN_RECORD,
    responses={200: Answer(routes.OWN_RECORD.answer, customer_pb2.Customer.DESCRIPTOR,
                           headers=("ETag",))},
    route=routes.OWN_RECORD,
)  # fmt: skip
def own_record() -> Response:
    return gateway.serve(routes.CODEC, routes.OWN_RECORD, {"customer_id": _own_customer_id()})


@operation(
    identity, "PATCH", "/api/v1/portal/me",
    summary=routes.OWN_RECORD_UPDATE.summary, tags=["portal"], allow=OWN_RECORD,
    headers={"If-Match": "the ETag of the record read before: the change applies only to it"},
    responses={200: Answer(routes.OWN_RECORD_UPDATE.answer, customer_pb2.Customer.DESCRIPTOR,
                           headers=("ETag",))},
    problems=[409], route=routes.OWN_RECORD_UPDATE,
)  # fmt: skip
def change_own_record() -> Response:
    """Profile fields only (name, phone, region, city, birth date, gender, preferences); any
    other field is refused (422)."""
    return gateway.serve(
        routes.CODEC, routes.OWN_RECORD_UPDATE, {"customer_id": _own_customer_id()}
    )


@operation(
    identity, "PUT", f"/api/v1/portal/me/consents/<any({routes.CONSENT_CHANNELS}):channel>",
    summary=routes.OWN_CONSENT.summary, tags=["portal"], allow=OWN_RECORD,
    responses={200: Answer(routes.OWN_CONSENT.answer, customer_pb2.Customer.DESCRIPTOR,
                           headers=("ETag",))},
    route=routes.OWN_CONSENT,
)  # fmt: skip
def change_own_consent(channel: str) -> Response:
    """Body `{"granted": true}` or `false`: the customer's own answer for email, sms, phone or
    post (a ConsentChanged whose actor is the customer)."""
    return gateway.serve(
        routes.CODEC, routes.OWN_CONSENT, {"customer_id": _own_customer_id(), "channel": channel}
    )
