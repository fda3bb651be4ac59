"""The /api/v1 routes of the analytics service (rows that gateway.py serves, like routes.py's):
the demographic counts, customer value and RFM, and the rule segments."""

from __future__ import annotations

from typing import Any

from crm_proto.crm.analytics.v1 import analytics_pb2
from google.protobuf.descriptor import MethodDescriptor

from crm_portal.entrypoints.http.gateway import WHOLE_REQUEST, Route

ANALYTICS = analytics_pb2.DESCRIPTOR.services_by_name["AnalyticsService"]
SEGMENTS = analytics_pb2.DESCRIPTOR.services_by_name["SegmentService"]

TAGS = ("analytics",)
SEGMENT_TAGS = ("segments",)
SEGMENT = "/analytics/segments/<uuid:segment_id>"
SEGMENT_ID = {"segment_id": "the segment's id"}
RULE = (
    'A rule is `{"match": "all"|"any", "groups": [{"match": ..., "conditions": '
    '[{"field": "region", "operator": "eq", "values": ["North"]}]}]}`; the fields '
    "and operators are listed in analytics.proto (`Condition`). An unknown field, operator or "
    "value is a 422 naming it."
)


def _segments(name: str) -> MethodDescriptor:
    return SEGMENTS.methods_by_name[name]


def _segment(method: str, rule: str, rpc: str, summary: str, answer: str, **fields: Any) -> Route:
    return Route(
        method, rule, _segments(rpc), summary=summary, answer=answer, tags=SEGMENT_TAGS,
        **fields,
    )  # fmt: skip


ANALYTICS_ROUTES = (
    Route(
        "GET", "/analytics/segments/demographics",
        ANALYTICS.methods_by_name["GetDemographicSegments"],
        summary="Customers by region, gender, age band and source", answer="Counts per segment",
        tags=TAGS,
    ),
    Route(
        "GET", "/analytics/customers/<uuid:customer_id>/value",
        ANALYTICS.methods_by_name["GetCustomerValue"],
        summary="A customer's orders, payments and interactions summed up",
        answer="The customer's value", tags=TAGS,
        path={"customer_id": "customer_id"}, path_docs={"customer_id": "the customer's id"},
    ),
    Route(
        "GET", "/analytics/value", ANALYTICS.methods_by_name["GetValueSummary"],
        summary="Customers per RFM segment, and the boundaries and models they are scored by",
        answer="The value summary", tags=TAGS,
    ),
    Route(
        "POST", "/analytics/value/recompute", ANALYTICS.methods_by_name["RecomputeCustomerValue"],
        summary="Measure every customer's RFM and lifetime value again, then every segment",
        answer="The value summary after the recompute", tags=TAGS, body=WHOLE_REQUEST,
    ),
    _segment(
        "POST", "/analytics/segments/preview", "PreviewSegment",
        "Count the customers a rule matches, before saving it", "The count",
        description=RULE, body=WHOLE_REQUEST,
    ),
    _segment(
        "POST", "/analytics/segments", "CreateSegment", "Define a rule segment",
        "The new segment with its member count",
        description=f"Body: `name`, `description`, `rule`. {RULE}",
        body=WHOLE_REQUEST, status=201, location="get_segment",
    ),
    _segment("GET", "/analytics/segments", "ListSegments", "List segments",
             "A page of segments, newest first"),
    _segment(
        "GET", SEGMENT, "GetSegment", "Get a segment", "The segment with its member count",
        path={"segment_id": "id"}, path_docs=SEGMENT_ID,
    ),
    _segment(
        "PATCH", SEGMENT, "UpdateSegment", "Change a segment",
        "The segment with its member count",
        description="Only `name`, `description` and `rule` present change; a new rule moves "
        "the members at once. If-Match (or the body's `version`) makes the change conditional "
        "on the segment's version.",
        path={"segment_id": "id"}, path_docs=SEGMENT_ID, body=WHOLE_REQUEST,
        writable=("name", "description", "rule"), mask="update_mask",
        version="expected_version", problems=(409,),
    ),
    _segment(
        "DELETE", SEGMENT, "DeleteSegment", "Delete a segment", "Nothing",
        description="If-Match makes it conditional on the segment's version.",
        path={"segment_id": "id"}, path_docs=SEGMENT_ID, version="expected_version",
        problems=(409,),
    ),
    _segment(
        "GET", f"{SEGMENT}/members", "ListSegmentMembers", "List a segment's members",
        "A page of customer ids, ascending",
        path={"segment_id": "segment_id"}, path_docs=SEGMENT_ID,
    ),
)  # fmt: skip
