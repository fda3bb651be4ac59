"""Who may call which method of AnalyticsService and SegmentService: the
`(crm.common.v1.access)` options in analytics.proto, the one declaration the gateway reads too
(docs/decisions/0005-access-tokens.md)."""

from __future__ import annotations

from crm_platform.access import policy_of
from crm_platform.privacy import PERSONAL_DATA
from crm_proto.crm.analytics.v1 import analytics_pb2

POLICY = policy_of(
    analytics_pb2.DESCRIPTOR.services_by_name["AnalyticsService"],
    analytics_pb2.DESCRIPTOR.services_by_name["SegmentService"],
    PERSONAL_DATA,
)
