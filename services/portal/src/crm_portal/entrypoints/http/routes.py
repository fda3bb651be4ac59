"""The /api/v1 routes of the services behind the gateway: one row per route (gateway.py serves
them all). Who may call a route is its RPC's `access` option; what a field may hold, its
`rules`. A malformed customer id does not match a route (404), like an unknown one.
"""

from __future__ import annotations

from crm_platform import enums
from crm_proto.crm.analytics.v1 import analytics_pb2
from crm_proto.crm.customer.v1 import customer_pb2
from crm_proto.crm.identity.v1 import identity_pb2
from crm_proto.crm.sales.v1 import sales_pb2
from flask import Blueprint
from google.protobuf.descriptor import MethodDescriptor

from crm_portal.adapters.messages import JsonCodec
from crm_portal.entrypoints.http import gateway
from crm_portal.entrypoints.http.gateway import WHOLE_REQUEST, Route

CUSTOMERS = customer_pb2.DESCRIPTOR.services_by_name["CustomerService"]
ANALYTICS = analytics_pb2.DESCRIPTOR.services_by_name["AnalyticsService"]
IDENTITY = identity_pb2.DESCRIPTOR.services_by_name["IdentityService"]
SALES = sales_pb2.DESCRIPTOR.services_by_name["SalesService"]

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
    Route(
        "GET", "/analytics/segments/demographics",
        ANALYTICS.methods_by_name["GetDemographicSegments"],
        summary="Customers by region, gender, age band and source", answer="Counts per segment",
        tags=("analytics",),
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


def _sales(name: str) -> MethodDescriptor:
    return SALES.methods_by_name[name]


ORDER = "/sales/orders/<uuid:order_id>"
ORDER_ID = {"order_id": "the order's id"}
OWN_ORDER = "/portal/orders/<uuid:order_id>"
ORDERS = ("orders",)
PORTAL = ("portal",)
CHANGE = "If-Match (or the body's `version`) makes the step apply only to that version (409)."


def _step(
    rpc: str,
    rule: str,
    summary: str,
    *,
    endpoint: str | None = None,
    tags: tuple[str, ...] = ORDERS,
    body_required: bool = False,
    description: str | None = None,
) -> Route:
    """A workflow step on one order: POST, the order's id from the path, the version it
    expects, and the step's own fields (if any) in the body."""
    return Route(
        "POST", rule, _sales(rpc), summary=summary, answer="The order after the step",
        tags=tags, description=f"{description} {CHANGE}" if description else CHANGE,
        path={"order_id": "id"}, path_docs=ORDER_ID, body=WHOLE_REQUEST,
        body_required=body_required, version="expected_version", problems=(409,),
        endpoint=endpoint,
    )  # fmt: skip


# the sales service: orders through the agency's workflow, for staff
SALES_ROUTES = (
    Route(
        "POST", "/sales/orders", _sales("PlaceOrder"),
        summary="Place an order for a customer", answer="The new order", tags=ORDERS,
        description="A sales rep's order is theirs unless `owner_id` names another.",
        body=WHOLE_REQUEST, status=201, location="get_order", idempotent=True,
    ),
    Route(
        "GET", "/sales/orders", _sales("ListOrders"),
        summary="List orders", answer="A page of orders, newest first", tags=ORDERS,
        description="A sales rep sees the orders they own and those nobody owns yet.",
    ),
    Route(
        "GET", ORDER, _sales("GetOrder"),
        summary="Get an order", answer="The order, with the steps the caller may take",
        tags=ORDERS, path={"order_id": "id"}, path_docs=ORDER_ID,
    ),
    _step("ConfirmOrder", f"{ORDER}/confirm", "Confirm an order"),
    _step(
        "SendProposal", f"{ORDER}/proposal", "Send the proposal", body_required=True,
        description="Body `{\"proposal\": \"...\"}`; again after a revision request.",
    ),
    _step(
        "PriceOrder", f"{ORDER}/price", "Agree the price and payment terms (managers)",
        body_required=True,
        description="Body `{\"amount\": {\"currency_code\": \"CNY\", \"amount\": \"1000.00\"}}`, "
        "and `terms` (default: 10 % on signing, 25 % and 10 % at 30 and 60 days, 55 % on "
        "acceptance).",
    ),
    _step(
        "SignContract", f"{ORDER}/sign", "Sign the contract for the company",
        description="The contract is signed when the customer has signed too; its payment "
        "milestones are then scheduled.",
    ),
    _step("StartProduction", f"{ORDER}/start-production", "Start production"),
    _step("DeliverOrder", f"{ORDER}/deliver", "Deliver (accepted today)"),
    _step("StartAfterSales", f"{ORDER}/after-sales", "Start after-sales"),
    _step("CloseOrder", f"{ORDER}/close", "Close an order (managers)"),
    _step(
        "CancelOrder", f"{ORDER}/cancel", "Cancel an order before its contract is signed",
        body_required=True, description="Body `{\"reason\": \"...\"}`.",
    ),
    Route(
        "POST", f"{ORDER}/milestones/<int:number>/pay", _sales("PayMilestone"),
        summary="Record a milestone's payment (finance)", answer="The order after the payment",
        tags=ORDERS, description=f"Body `{{\"reference\": \"...\"}}`. {CHANGE}",
        path={"order_id": "id", "number": "number"},
        path_docs={**ORDER_ID, "number": "the milestone's number, from 1"},
        body=WHOLE_REQUEST, version="expected_version", problems=(409,),
    ),
    # the customer's own orders: another customer's order is a 404
    Route(
        "POST", "/portal/orders", _sales("PlaceOrder"),
        summary="Place an order", answer="The new order", tags=PORTAL,
        body=WHOLE_REQUEST, writable=("title", "description"), status=201,
        location="get_own_order", idempotent=True, endpoint="place_own_order",
    ),
    Route(
        "GET", "/portal/orders", _sales("ListOrders"),
        summary="List my orders", answer="A page of my orders, newest first", tags=PORTAL,
        endpoint="list_own_orders",
    ),
    Route(
        "GET", OWN_ORDER, _sales("GetOrder"),
        summary="Get my order", answer="The order, with the steps I may take", tags=PORTAL,
        path={"order_id": "id"}, path_docs=ORDER_ID, endpoint="get_own_order",
    ),
    _step(
        "ApproveProposal", f"{OWN_ORDER}/approve-proposal", "Approve the proposal",
        endpoint="approve_own_proposal", tags=PORTAL,
    ),
    _step(
        "RequestRevision", f"{OWN_ORDER}/request-revision", "Ask for another proposal",
        endpoint="request_own_revision", tags=PORTAL, body_required=True,
        description="Body `{\"note\": \"what to change\"}`.",
    ),
    _step(
        "SignContract", f"{OWN_ORDER}/sign", "Sign the contract",
        endpoint="sign_own_contract", tags=PORTAL,
    ),
    _step(
        "CancelOrder", f"{OWN_ORDER}/cancel", "Cancel my order before the contract is signed",
        endpoint="cancel_own_order", tags=PORTAL, body_required=True,
        description="Body `{\"reason\": \"...\"}`.",
    ),
)  # fmt: skip

# the methods that change nothing: retried on UNAVAILABLE, given the shorter deadline
READS = tuple(
    dict.fromkeys(
        route.rpc for route in (*ROUTES, *IDENTITY_ROUTES, *SALES_ROUTES) if route.is_read
    )
)


def blueprint() -> Blueprint:
    """The /api/v1 routes, for one app."""
    api = Blueprint("api", __name__, url_prefix="/api/v1")
    gateway.register(api, CODEC, ROUTES)
    gateway.register(api, CODEC, IDENTITY_ROUTES)
    gateway.register(api, CODEC, SALES_ROUTES)
    return api
