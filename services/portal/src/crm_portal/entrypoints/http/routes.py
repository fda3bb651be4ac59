"""The /api/v1 routes: read and validate the request, call a backend, answer JSON.

A malformed customer id does not match a route (404), like an unknown one.
"""

from __future__ import annotations

from typing import Any, get_args
from uuid import UUID

from crm_platform import context
from crm_proto.crm.customer.v1 import customer_pb2
from flask import Blueprint, Response, current_app, g, jsonify, request, url_for

from crm_portal import schemas
from crm_portal.adapters import mapping
from crm_portal.adapters.backends import Backends
from crm_portal.entrypoints.http import auth, inputs

BACKENDS_KEY = "crm_portal.backends"
CONSENT_CHANNELS = f"any({', '.join(get_args(schemas.ConsentChannelName))})"

api = Blueprint("api", __name__, url_prefix="/api/v1")


def backends() -> Backends:
    found: Backends = current_app.extensions[BACKENDS_KEY]
    return found


@api.before_request
def _authenticate() -> None:
    """Every /api route, in one place: who is calling (see auth.authenticate)."""
    g.principal_token = context.principal.set(auth.authenticate(request))


@api.teardown_request
def _forget_principal(_error: BaseException | None) -> None:
    token = g.pop("principal_token", None)
    if token is not None:
        context.principal.reset(token)


def _json(payload: dict[str, Any], status: int = 200) -> Response:
    response = jsonify(payload)
    response.status_code = status
    return response


def _customer(customer: customer_pb2.Customer, status: int = 200) -> Response:
    response = _json(mapping.customer_to_json(customer), status)
    response.set_etag(str(customer.version))  # If-Match on PATCH makes the next change safe
    return response


@api.post("/customers")
def create_customer() -> Response:
    inputs.query(schemas.NoQuery)
    body = inputs.body(schemas.CustomerCreate)
    customer = backends().customers.create_customer(
        mapping.create_customer_request(body, inputs.idempotency_key())
    )
    response = _customer(customer, 201)
    response.headers["Location"] = url_for(".get_customer", customer_id=customer.id)
    return response


@api.get("/customers")
def list_customers() -> Response:
    query = inputs.query(schemas.CustomerListQuery)
    page = backends().customers.list_customers(mapping.list_customers_request(query))
    return _json(mapping.customer_page_to_json(page))


@api.get("/customers/<uuid:customer_id>")
def get_customer(customer_id: UUID) -> Response:
    inputs.query(schemas.NoQuery)
    customer = backends().customers.get_customer(mapping.get_customer_request(str(customer_id)))
    return _customer(customer)


@api.patch("/customers/<uuid:customer_id>")
def update_customer(customer_id: UUID) -> Response:
    inputs.query(schemas.NoQuery)
    body = inputs.body(schemas.CustomerPatch)
    version = inputs.expected_version(body.version)
    update = mapping.update_customer_request(str(customer_id), body, version)
    return _customer(backends().customers.update_customer(update))


@api.post("/customers/<uuid:customer_id>/merge")
def merge_customers(customer_id: UUID) -> Response:
    """Body `{"merged_id": "<uuid>"}`: that customer is merged into this one, which survives."""
    inputs.query(schemas.NoQuery)
    body = inputs.body(schemas.MergeRequest)
    merge = mapping.merge_request(str(customer_id), body)
    return _customer(backends().customers.merge_customers(merge))


@api.post("/customers/recognize")
def recognize_customer() -> Response:
    inputs.query(schemas.NoQuery)
    body = inputs.body(schemas.RecognizeRequest)
    recognized = backends().customers.recognize_customer(mapping.recognize_request(body))
    return _json(mapping.recognition_to_json(recognized))


@api.post("/customers/<uuid:customer_id>/blacklist")
def blacklist_customer(customer_id: UUID) -> Response:
    inputs.query(schemas.NoQuery)
    body = inputs.body(schemas.BlacklistRequest)
    blacklist = mapping.blacklist_request(str(customer_id), body)
    return _customer(backends().customers.blacklist_customer(blacklist))


@api.post("/customers/<uuid:customer_id>/unblacklist")
def unblacklist_customer(customer_id: UUID) -> Response:
    inputs.query(schemas.NoQuery)
    body = inputs.body(schemas.UnblacklistRequest, optional=True)
    unblacklist = mapping.unblacklist_request(str(customer_id), body)
    return _customer(backends().customers.unblacklist_customer(unblacklist))


@api.put(f"/customers/<uuid:customer_id>/consents/<{CONSENT_CHANNELS}:channel>")
def set_consent(customer_id: UUID, channel: str) -> Response:
    inputs.query(schemas.NoQuery)
    body = inputs.body(schemas.ConsentRequest)
    consent = mapping.consent_request(str(customer_id), channel, body)
    return _customer(backends().customers.set_consent(consent))


@api.get("/customers/<uuid:customer_id>/timeline")
def list_interactions(customer_id: UUID) -> Response:
    query = inputs.query(schemas.PageQuery)
    page = backends().customers.list_interactions(
        mapping.list_interactions_request(str(customer_id), query)
    )
    return _json(mapping.interaction_page_to_json(page))


@api.post("/customers/<uuid:customer_id>/timeline")
def log_interaction(customer_id: UUID) -> Response:
    inputs.query(schemas.NoQuery)
    body = inputs.body(schemas.InteractionCreate)
    interaction = backends().customers.log_interaction(
        mapping.log_interaction_request(str(customer_id), body)
    )
    return _json(mapping.interaction_to_json(interaction), 201)


@api.get("/analytics/segments/demographics")
def demographic_segments() -> Response:
    inputs.query(schemas.NoQuery)
    segments = backends().analytics.get_demographic_segments(mapping.segments_request())
    return _json(mapping.segments_to_json(segments))
