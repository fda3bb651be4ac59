"""The /api/v1 routes of the customer service's loyalty program (rows that gateway.py serves,
like routes.py's): staff read and redeem under a customer, a customer their own under
/portal/loyalty."""

from __future__ import annotations

from crm_proto.crm.customer.v1 import loyalty_pb2
from google.protobuf.descriptor import MethodDescriptor

from crm_portal.entrypoints.http.gateway import WHOLE_REQUEST, Route

LOYALTY = loyalty_pb2.DESCRIPTOR.services_by_name["LoyaltyService"]
ACCOUNT = "/customers/<uuid:customer_id>/loyalty"
CUSTOMER_ID = {"customer_id": "the customer's id"}
TAGS = ("loyalty",)
PORTAL = ("portal",)


def _loyalty(name: str) -> MethodDescriptor:
    return LOYALTY.methods_by_name[name]


LOYALTY_ROUTES = (
    Route(
        "GET", ACCOUNT, _loyalty("GetLoyaltyAccount"),
        summary="Get a customer's loyalty account",
        answer="The balance, the tier and what expires next", tags=TAGS,
        path={"customer_id": "customer_id"}, path_docs=CUSTOMER_ID,
    ),
    Route(
        "GET", f"{ACCOUNT}/entries", _loyalty("ListLoyaltyEntries"),
        summary="List a customer's loyalty entries", answer="A page of entries, newest first",
        tags=TAGS, path={"customer_id": "customer_id"}, path_docs=CUSTOMER_ID,
    ),
    Route(
        "POST", f"{ACCOUNT}/redemptions", _loyalty("RedeemPoints"),
        summary="Redeem points for an order",
        answer="The redemption, its discount and the account after it", tags=TAGS,
        description="Once per order: the same request again answers the same redemption; "
        "more points than the balance, or other points for the same order, is a 409.",
        path={"customer_id": "customer_id"}, path_docs=CUSTOMER_ID, body=WHOLE_REQUEST,
        idempotent=True, problems=(409,),
    ),
    Route(
        "GET", "/portal/loyalty", _loyalty("GetLoyaltyAccount"),
        summary="Get my loyalty account", answer="My balance, tier and what expires next",
        tags=PORTAL, endpoint="get_own_loyalty_account",
    ),
    Route(
        "GET", "/portal/loyalty/entries", _loyalty("ListLoyaltyEntries"),
        summary="List my loyalty entries", answer="A page of my entries, newest first",
        tags=PORTAL, endpoint="list_own_loyalty_entries",
    ),
)  # fmt: skip
