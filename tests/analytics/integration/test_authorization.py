"""Who may read the demographic segments, straight over gRPC with real tokens."""

from __future__ import annotations

import grpc
import pytest
from crm_platform.testing.tokens import (
    bearer,
    customer_token,
    hs256_with_public_key,
    partner_token,
    service_token,
    staff_token,
)
from crm_proto.crm.analytics.v1 import analytics_pb2

from tests.analytics.integration.harness import RunningAnalytics

pytestmark = pytest.mark.integration

READERS = ["admin", "manager", "marketer", "analyst", "finance", "sales_rep"]
CASES = [
    *[(staff_token(role), grpc.StatusCode.OK) for role in READERS],
    (staff_token("service_agent"), grpc.StatusCode.PERMISSION_DENIED),
    (service_token("analytics:read"), grpc.StatusCode.OK),
    (service_token("customers:read"), grpc.StatusCode.PERMISSION_DENIED),
    (customer_token("c-1"), grpc.StatusCode.PERMISSION_DENIED),
    (partner_token("p-1"), grpc.StatusCode.PERMISSION_DENIED),
    (hs256_with_public_key(), grpc.StatusCode.UNAUTHENTICATED),
]


def test_the_segments_are_open_to_their_readers_only(analytics: RunningAnalytics) -> None:
    request = analytics_pb2.GetDemographicSegmentsRequest()
    outcomes: list[grpc.StatusCode] = []
    for token, _expected in CASES:
        try:
            response = analytics.stub.GetDemographicSegments(
                request, metadata=bearer(token), timeout=5, wait_for_ready=True
            )
        except grpc.RpcError as error:
            outcomes.append(error.code())
        else:
            assert response.total_customers == 0
            outcomes.append(grpc.StatusCode.OK)

    assert outcomes == [expected for _token, expected in CASES]
