"""The /api/v1 routes of the sales service (rows that gateway.py serves, like routes.py's):
one section per part of the service, each with its own gRPC service in proto/crm/sales/v1."""

from __future__ import annotations

from crm_proto.crm.sales.v1 import sales_pb2
from google.protobuf.descriptor import MethodDescriptor

from crm_portal.entrypoints.http.gateway import WHOLE_REQUEST, Route

SALES = sales_pb2.DESCRIPTOR.services_by_name["SalesService"]


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


# orders through the agency's workflow, for staff, and the customer's own
ORDER_ROUTES = (
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
    _step(
        "AssignOrderPartner", f"{ORDER}/partner", "Outsource an order to a partner (managers)",
        body_required=True,
        description="Body `{\"partner_id\": \"<uuid>\"}`; an empty `partner_id` takes it "
        "back. The partner's users then see the order.",
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


SALES_ROUTES = (*ORDER_ROUTES,)
