"""The /api/v1 routes: read and validate the request, call a backend, answer JSON.

Each route is declared with `operation` (see operations.py): its query and body models, its
answers and who may call it, which also makes the OpenAPI document. Who may call what mirrors
the backends' own tables (the customer and analytics services check again, and limit customers
to their own record and timeline, partner users to the records assigned to their partner).

A malformed customer id does not match a route (404), like an unknown one.
"""

from __future__ import annotations

from typing import Any, get_args
from uuid import UUID

from crm_platform.auth import Allow
from crm_proto.crm.customer.v1 import customer_pb2
from flask import Blueprint, Response, current_app, jsonify, url_for

from crm_portal import schemas
from crm_portal.adapters import mapping
from crm_portal.adapters.backends import Backends
from crm_portal.entrypoints.http import inputs
from crm_portal.entrypoints.http.operations import Answer, operation

BACKENDS_KEY = "crm_portal.backends"
CONSENT_CHANNELS = f"any({', '.join(get_args(schemas.ConsentChannelName))})"

CUSTOMERS_READ = "customers:read"
CUSTOMERS_WRITE = "customers:write"
ANALYTICS_READ = "analytics:read"

LEADS = {"admin", "manager"}  # everything
FRONT_OFFICE = LEADS | {"sales_rep", "service_agent"}  # read and change customers
READERS = FRONT_OFFICE | {"marketer", "analyst", "finance"}  # read customers

READ_CUSTOMERS = Allow(roles=READERS, scopes={CUSTOMERS_READ})
# a partner user lists the customers assigned to their partner (the service limits the list)
LIST_CUSTOMERS = Allow(roles=READERS, scopes={CUSTOMERS_READ}, partners=True)
CHANGE_CUSTOMERS = Allow(roles=FRONT_OFFICE, scopes={CUSTOMERS_WRITE})
CURATE_CUSTOMERS = Allow(roles=LEADS, scopes={CUSTOMERS_WRITE})
# a customer may read and change their own record and timeline, a partner user read those
# assigned to their partner (the service checks whose)
READ_OWN_CUSTOMER = Allow(roles=READERS, scopes={CUSTOMERS_READ}, customers=True, partners=True)
CHANGE_OWN_CUSTOMER = Allow(roles=FRONT_OFFICE, scopes={CUSTOMERS_WRITE}, customers=True)
SET_OWN_CONSENT = Allow(roles=FRONT_OFFICE | {"marketer"}, scopes={CUSTOMERS_WRITE}, customers=True)
READ_ANALYTICS = Allow(
    roles={"admin", "manager", "marketer", "analyst", "finance", "sales_rep"},
    scopes={ANALYTICS_READ},
)

CUSTOMER_ID = {"customer_id": "the customer's id"}
THE_CUSTOMER = Answer("The customer", schemas.Customer, headers=("ETag",))

api = Blueprint("api", __name__, url_prefix="/api/v1")


def backends() -> Backends:
    found: Backends = current_app.extensions[BACKENDS_KEY]
    return found


def _json(payload: dict[str, Any], status: int = 200) -> Response:
    response = jsonify(payload)
    response.status_code = status
    return response


def _customer(customer: customer_pb2.Customer, status: int = 200) -> Response:
    response = _json(mapping.customer_to_json(customer), status)
    response.set_etag(str(customer.version))  # If-Match on PATCH makes the next change safe
    return response


@operation(
    api, "POST", "/customers",
    summary="Create a customer", tags=["customers"], allow=CHANGE_CUSTOMERS,
    body=schemas.CustomerCreate, idempotent=True,
    responses={201: Answer("The new customer", schemas.Customer, headers=("Location", "ETag"))},
    problems=[409],
)  # fmt: skip
def create_customer(body: schemas.CustomerCreate) -> Response:
    """A duplicate (same email or phone) is a 409 naming the `existing_id`."""
    customer = backends().customers.create_customer(
        mapping.create_customer_request(body, inputs.idempotency_key())
    )
    response = _customer(customer, 201)
    response.headers["Location"] = url_for(".get_customer", customer_id=customer.id)
    return response


@operation(
    api, "GET", "/customers",
    summary="List customers", tags=["customers"], allow=LIST_CUSTOMERS,
    query=schemas.CustomerListQuery,
    responses={200: Answer("A page of customers", schemas.CustomerPage)},
)  # fmt: skip
def list_customers(query: schemas.CustomerListQuery) -> Response:
    """Filtered by region, tag, source, partner and a search text; `next_page_token` pages
    on. A partner user's list holds only the customers assigned to their partner."""
    page = backends().customers.list_customers(mapping.list_customers_request(query))
    return _json(mapping.customer_page_to_json(page))


@operation(
    api, "GET", "/customers/<uuid:customer_id>",
    summary="Get a customer", tags=["customers"], allow=READ_OWN_CUSTOMER,
    path_params=CUSTOMER_ID, responses={200: THE_CUSTOMER},
)  # fmt: skip
def get_customer(customer_id: UUID) -> Response:
    customer = backends().customers.get_customer(mapping.get_customer_request(str(customer_id)))
    return _customer(customer)


@operation(
    api, "PATCH", "/customers/<uuid:customer_id>",
    summary="Change a customer", tags=["customers"], allow=CHANGE_OWN_CUSTOMER,
    path_params=CUSTOMER_ID, body=schemas.CustomerPatch,
    headers={"If-Match": 'the ETag of the version to change (e.g. "3"): 409 when it moved on'},
    responses={200: THE_CUSTOMER}, problems=[409],
)  # fmt: skip
def update_customer(customer_id: UUID, body: schemas.CustomerPatch) -> Response:
    """Only the fields present change; null clears a field that may be empty."""
    version = inputs.expected_version(body.version)
    update = mapping.update_customer_request(str(customer_id), body, version)
    return _customer(backends().customers.update_customer(update))


@operation(
    api, "POST", "/customers/<uuid:customer_id>/merge",
    summary="Merge a customer into this one", tags=["customers"], allow=CURATE_CUSTOMERS,
    path_params={"customer_id": "the customer that survives"}, body=schemas.MergeRequest,
    responses={200: Answer("The surviving customer", schemas.Customer, headers=("ETag",))},
    problems=[409], idempotent=True,
)  # fmt: skip
def merge_customers(customer_id: UUID, body: schemas.MergeRequest) -> Response:
    """Body `{"merged_id": "<uuid>"}`: that customer is merged into this one, which survives."""
    merge = mapping.merge_request(str(customer_id), body)
    return _customer(backends().customers.merge_customers(merge))


@operation(
    api, "POST", "/customers/recognize",
    summary="Recognize a customer by email or phone", tags=["customers"],
    allow=READ_CUSTOMERS, body=schemas.RecognizeRequest,
    idempotent=True, responses={200: Answer("New, returning or blacklisted", schemas.Recognition)},
)  # fmt: skip
def recognize_customer(body: schemas.RecognizeRequest) -> Response:
    recognized = backends().customers.recognize_customer(mapping.recognize_request(body))
    return _json(mapping.recognition_to_json(recognized))


@operation(
    api, "POST", "/customers/<uuid:customer_id>/blacklist",
    summary="Blacklist a customer", tags=["customers"], allow=CURATE_CUSTOMERS,
    path_params=CUSTOMER_ID, body=schemas.BlacklistRequest,
    responses={200: THE_CUSTOMER}, problems=[409], idempotent=True,
)  # fmt: skip
def blacklist_customer(customer_id: UUID, body: schemas.BlacklistRequest) -> Response:
    blacklist = mapping.blacklist_request(str(customer_id), body)
    return _customer(backends().customers.blacklist_customer(blacklist))


@operation(
    api, "POST", "/customers/<uuid:customer_id>/unblacklist",
    summary="Lift a customer's blacklisting", tags=["customers"], allow=CURATE_CUSTOMERS,
    path_params=CUSTOMER_ID, body=schemas.UnblacklistRequest, body_required=False,
    responses={200: THE_CUSTOMER}, problems=[409], idempotent=True,
)  # fmt: skip
def unblacklist_customer(customer_id: UUID, body: schemas.UnblacklistRequest) -> Response:
    """The body (a `reason`) is optional."""
    unblacklist = mapping.unblacklist_request(str(customer_id), body)
    return _customer(backends().customers.unblacklist_customer(unblacklist))


@operation(
    api, "PUT", f"/customers/<uuid:customer_id>/consents/<{CONSENT_CHANNELS}:channel>",
    summary="Grant or withdraw consent on a channel", tags=["customers"],
    allow=SET_OWN_CONSENT, body=schemas.ConsentRequest,
    path_params={**CUSTOMER_ID, "channel": "the contact channel"},
    responses={200: THE_CUSTOMER}, problems=[409],
)  # fmt: skip
def set_consent(customer_id: UUID, channel: str, body: schemas.ConsentRequest) -> Response:
    consent = mapping.consent_request(str(customer_id), channel, body)
    return _customer(backends().customers.set_consent(consent))


@operation(
    api, "GET", "/customers/<uuid:customer_id>/timeline",
    summary="List a customer's interactions", tags=["customers"], allow=READ_OWN_CUSTOMER,
    path_params=CUSTOMER_ID, query=schemas.PageQuery,
    responses={200: Answer("A page of interactions, newest first", schemas.InteractionPage)},
)  # fmt: skip
def list_interactions(customer_id: UUID, query: schemas.PageQuery) -> Response:
    page = backends().customers.list_interactions(
        mapping.list_interactions_request(str(customer_id), query)
    )
    return _json(mapping.interaction_page_to_json(page))


@operation(
    api, "POST", "/customers/<uuid:customer_id>/timeline",
    summary="Log an interaction with a customer", tags=["customers"],
    allow=CHANGE_OWN_CUSTOMER, path_params=CUSTOMER_ID, body=schemas.InteractionCreate,
    responses={201: Answer("The interaction", schemas.Interaction)},
    problems=[409], idempotent=True,
)  # fmt: skip
def log_interaction(customer_id: UUID, body: schemas.InteractionCreate) -> Response:
    interaction = backends().customers.log_interaction(
        mapping.log_interaction_request(str(customer_id), body)
    )
    return _json(mapping.interaction_to_json(interaction), 201)


@operation(
    api, "GET", "/analytics/segments/demographics",
    summary="Customers by region, gender, age band and source", tags=["analytics"],
    allow=READ_ANALYTICS,
    responses={200: Answer("Counts per segment", schemas.DemographicSegments)},
)  # fmt: skip
def demographic_segments() -> Response:
    segments = backends().analytics.get_demographic_segments(mapping.segments_request())
    return _json(mapping.segments_to_json(segments))
