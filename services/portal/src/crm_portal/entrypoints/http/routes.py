"""The /api/v1 routes of the services behind the gateway: one row per route (gateway.py serves
them all). Who may call a route is its RPC's `access` option; what a field may hold, its
`rules`. A malformed customer id does not match a route (404), like an unknown one.
"""

from __future__ import annotations

from crm_platform import enums
from crm_proto.crm.customer.v1 import customer_pb2
from crm_proto.crm.identity.v1 import identity_pb2
from flask import Blueprint
from google.protobuf.descriptor import MethodDescriptor

from crm_portal.adapters.messages import JsonCodec
from crm_portal.entrypoints.http import gateway, privacy_routes
from crm_portal.entrypoints.http.analytics_routes import ANALYTICS_ROUTES
from crm_portal.entrypoints.http.gateway import WHOLE_REQUEST, Route
from crm_portal.entrypoints.http.import_routes import IMPORT_ROUTES
from crm_portal.entrypoints.http.loyalty_routes import LOYALTY_ROUTES
from crm_portal.entrypoints.http.marketing_routes import MARKETING_ROUTES
from crm_portal.entrypoints.http.partner_routes import PARTNER_ROUTES
from crm_portal.entrypoints.http.privacy_routes import PRIVACY_ROUTES
from crm_portal.entrypoints.http.sales_routes import SALES_ROUTES
from crm_portal.entrypoints.http.service_routes import SERVICE_ROUTES

CUSTOMERS = customer_pb2.DESCRIPTOR.services_by_name["CustomerService"]
IDENTITY = identity_pb2.DESCRIPTOR.services_by_name["IdentityService"]

CODEC = JsonCodec(
    json_names={
        "crm.customer.v1.Customer.acquisition_source": "source",
        "crm.customer.v1.ListCustomersRequest.query": "q",
        # whole lists, answered like pages
        "crm.identity.v1.ListClientsResponse.clients": "items",
        "crm.identity.v1.ListKeysResponse.keys": "items",
    },
    keyed={"crm.customer.v1.Customer.consents": "channel"},
    inline=frozenset({"crm.identity.v1.CreateClientResponse.client"}),
)

# what a client writes of a customer; the service sets the rest
CUSTOMER_FIELDS = (
    "kind", "name", "email", "phone", "region", "city", "birth_date", "gender", "tags",
    "preferences", "source", "owner_id", "partner_id",
)  # fmt: skip
# what a customer may change on their own record (the portal's /me)
PROFILE_FIELDS = ("name", "phone", "region", "city", "birth_date", "gender", "preferences")
CONSENT_CHANNELS = ", ".join(enums.keys(customer_pb2.ConsentChannel.DESCRIPTOR))
CUSTOMER = "/customers/<uuid:customer_id>"
CUSTOMER_ID = {"customer_id": "the customer's id"}
BY_ID = {"customer_id": "id"}
TAGS = ("customers",)


def _customers(name: str) -> MethodDescriptor:
    return CUSTOMERS.methods_by_name[name]


ROUTES = (
    Route(
        "POST", "/customers", _customers("CreateCustomer"),
        summary="Create a customer", answer="The new customer", tags=TAGS,
        description="A duplicate (same email or phone) is a 409 naming the `existing_id`.",
        body="customer", writable=CUSTOMER_FIELDS, status=201, location="get_customer",
        idempotent=True, problems=(409,),
    ),
    Route(
        "GET", "/customers", _customers("ListCustomers"),
        summary="List customers", answer="A page of customers", tags=TAGS,
        description="Filtered by region, tag, source, partner and a search text; "
        "`next_page_token` pages on. A partner user's list holds only the customers assigned "
        "to their partner.",
    ),
    Route(
        "GET", CUSTOMER, _customers("GetCustomer"),
        summary="Get a customer", answer="The customer", tags=TAGS,
        path=BY_ID, path_docs=CUSTOMER_ID,
    ),
    Route(
        "PATCH", CUSTOMER, _customers("UpdateCustomer"),
        summary="Change a customer", answer="The customer", tags=TAGS,
        description="Only the fields present change; null clears a field that may be empty. "
        "`version` (or If-Match) makes the change conditional on the customer's version.",
        path={"customer_id": "customer.id"}, path_docs=CUSTOMER_ID,
        body="customer", writable=CUSTOMER_FIELDS, mask="update_mask",
        version="expected_version", problems=(409,),
    ),
    Route(
        "POST", f"{CUSTOMER}/merge", _customers("MergeCustomers"),
        summary="Merge a customer into this one", answer="The surviving customer", tags=TAGS,
        description='Body `{"merged_id": "<uuid>"}`: that customer is merged into this one, '
        "which survives.",
        path={"customer_id": "survivor_id"},
        path_docs={"customer_id": "the customer that survives"},
        body=WHOLE_REQUEST, idempotent=True, problems=(409,),
    ),
    Route(
        "POST", "/customers/recognize", _customers("RecognizeCustomer"),
        summary="Recognize a customer by email or phone", answer="New, returning or blacklisted",
        tags=TAGS, body=WHOLE_REQUEST, idempotent=True, reads=True,
    ),
    Route(
        "GET", f"{CUSTOMER}/duplicates", _customers("ListPossibleDuplicates"),
        summary="Possible duplicates of a customer", answer="The likeliest first, with why",
        description="Records whose email and phone differ but whose name, contact and city "
        "are alike, scored 0 to 100 (60 % name, 25 % email or phone, 15 % city); `min_score` "
        "(default 75). Merge one with `POST /customers/{id}/merge`.",
        tags=TAGS, path={"customer_id": "id"}, path_docs=CUSTOMER_ID, problems=(409,),
    ),
    Route(
        "POST", f"{CUSTOMER}/blacklist", _customers("BlacklistCustomer"),
        summary="Blacklist a customer", answer="The customer", tags=TAGS,
        path=BY_ID, path_docs=CUSTOMER_ID, body=WHOLE_REQUEST, idempotent=True, problems=(409,),
    ),
    Route(
        "POST", f"{CUSTOMER}/unblacklist", _customers("UnblacklistCustomer"),
        summary="Lift a customer's blacklisting", answer="The customer", tags=TAGS,
        path=BY_ID, path_docs=CUSTOMER_ID, body=WHOLE_REQUEST, idempotent=True, problems=(409,),
    ),
    Route(
        "PUT", f"{CUSTOMER}/consents/<any({CONSENT_CHANNELS}):channel>", _customers("SetConsent"),
        summary="Grant or withdraw consent on a channel", answer="The customer", tags=TAGS,
        path={"customer_id": "id", "channel": "channel"},
        path_docs={**CUSTOMER_ID, "channel": "the contact channel"},
        body=WHOLE_REQUEST, problems=(409,),
    ),
    Route(
        "GET", f"{CUSTOMER}/timeline", _customers("ListInteractions"),
        summary="List a customer's interactions", answer="A page of interactions, newest first",
        tags=TAGS, path={"customer_id": "customer_id"}, path_docs=CUSTOMER_ID,
    ),
    Route(
        "POST", f"{CUSTOMER}/timeline", _customers("LogInteraction"),
        summary="Log an interaction with a customer", answer="The interaction", tags=TAGS,
        path={"customer_id": "customer_id"}, path_docs=CUSTOMER_ID,
        body=WHOLE_REQUEST, status=201, idempotent=True, problems=(409,),
    ),
)  # fmt: skip


def _identity(name: str) -> MethodDescriptor:
    return IDENTITY.methods_by_name[name]


USER = "/admin/users/<uuid:user_id>"
USER_ID = {"user_id": "the account's id"}
ADMIN = ("admin",)

# identity's admin API
IDENTITY_ROUTES = (
    Route(
        "POST", "/admin/users", _identity("CreateUser"),
        summary="Create an account", answer="The new account", tags=ADMIN,
        description="A staff account (staff roles) or a partner user (`kind: partner`, role "
        "partner_user and the `partner_id`). Customers register themselves at "
        "/api/v1/portal/register. A taken email is a 409.",
        body=WHOLE_REQUEST, status=201, location="get_user", problems=(409,),
    ),
    Route(
        "GET", "/admin/users", _identity("ListUsers"),
        summary="List accounts", answer="A page of accounts, by email", tags=ADMIN,
    ),
    Route(
        "GET", USER, _identity("GetUser"),
        summary="Get an account", answer="The account", tags=ADMIN,
        path={"user_id": "id"}, path_docs=USER_ID,
    ),
    Route(
        "PATCH", USER, _identity("UpdateUser"),
        summary="Change an account's roles, name or state", answer="The account", tags=ADMIN,
        description="Only the fields present change. `disabled: true` also revokes the "
        "account's refresh tokens. The last active admin can be neither disabled nor demoted "
        "(409), and an admin cannot disable themselves (403).",
        path={"user_id": "id"}, path_docs=USER_ID, body=WHOLE_REQUEST,
        presence={"roles": "set_roles", "name": "set_name"}, problems=(409,),
    ),
    Route(
        "POST", "/admin/clients", _identity("CreateClient"),
        summary="Create a machine client", answer="The client with its secret, shown this once",
        tags=ADMIN,
        description="For an enterprise system: it gets tokens with "
        "`grant_type=client_credentials` and the `client_secret` answered here, which is not "
        "stored and cannot be shown again.",
        body=WHOLE_REQUEST, status=201, cache_control="no-store",
    ),
    Route(
        "GET", "/admin/clients", _identity("ListClients"),
        summary="List machine clients", answer="Every machine client, newest first", tags=ADMIN,
    ),
    Route(
        "POST", "/admin/clients/<uuid:client_id>/revoke", _identity("RevokeClient"),
        summary="Revoke a machine client", answer="The revoked client", tags=ADMIN,
        description="No token is issued to it any more; those it has expire within minutes.",
        path={"client_id": "client_id"}, path_docs={"client_id": "the machine client's id"},
    ),
    Route(
        "POST", "/admin/keys/rotate", _identity("RotateKeys"),
        summary="Rotate the signing key", answer="The new signing key", tags=ADMIN,
        description="A new key signs from now on. The previous one stays in the JWKS until "
        "every token it signed has expired, so nobody is logged out.",
        status=201,
    ),
    Route(
        "GET", "/admin/keys", _identity("ListKeys"),
        summary="List the signing keys", answer="Every signing key, newest first", tags=ADMIN,
    ),
)  # fmt: skip

# The customer portal, served by identity_routes.py: registration has its own rate limit, and
# the own record's id is the caller's, not the path's.
REGISTRATION = Route(
    "POST", "/portal/register", _identity("Register"),
    summary="Register as a customer", answer="The new login and customer record",
    body="customer", beside=("password",), writable=("email", *PROFILE_FIELDS), status=201,
)  # fmt: skip
OWN_RECORD = Route(
    "GET", "/portal/me", _customers("GetCustomer"),
    summary="Get my customer record", answer="The caller's customer record",
    path={"customer_id": "id"},
)  # fmt: skip
OWN_RECORD_UPDATE = Route(
    "PATCH", "/portal/me", _customers("UpdateCustomer"),
    summary="Change my customer record", answer="The caller's customer record",
    path={"customer_id": "customer.id"}, body="customer", writable=PROFILE_FIELDS,
    mask="update_mask", version="expected_version",
)  # fmt: skip
OWN_CONSENT = Route(
    "PUT", f"/portal/me/consents/<any({CONSENT_CHANNELS}):channel>", _customers("SetConsent"),
    summary="Grant or withdraw my consent on a channel", answer="The caller's customer record",
    path={"customer_id": "id", "channel": "channel"},
    path_docs={"channel": "the contact channel"}, body=WHOLE_REQUEST,
)  # fmt: skip


# the methods that change nothing: retried on UNAVAILABLE, given the shorter deadline
READS = tuple(
    dict.fromkeys(
        route.rpc
        for route in (
            *ROUTES,
            *IMPORT_ROUTES,
            *LOYALTY_ROUTES,
            *IDENTITY_ROUTES,
            *ANALYTICS_ROUTES,
            *SALES_ROUTES,
            *MARKETING_ROUTES,
            *SERVICE_ROUTES,
            *PARTNER_ROUTES,
            *PRIVACY_ROUTES,
        )
        if route.is_read
    )
)


def blueprint() -> Blueprint:
    """The /api/v1 routes, for one app."""
    api = Blueprint("api", __name__, url_prefix="/api/v1")
    gateway.register(api, CODEC, ROUTES)
    gateway.register(api, CODEC, IMPORT_ROUTES)
    gateway.register(api, CODEC, LOYALTY_ROUTES)
    gateway.register(api, CODEC, IDENTITY_ROUTES)
    gateway.register(api, CODEC, ANALYTICS_ROUTES)
    gateway.register(api, CODEC, SALES_ROUTES)
    gateway.register(api, CODEC, MARKETING_ROUTES)
    gateway.register(api, CODEC, SERVICE_ROUTES)
    gateway.register(api, CODEC, PARTNER_ROUTES)
    gateway.register(api, CODEC, PRIVACY_ROUTES)
    privacy_routes.register(api)  # the export: one route over every personal-data service
    return api
