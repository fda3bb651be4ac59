"""The service campaigns ask, over gRPC, under a deadline: analytics, for a segment's members
(ListSegmentMembers), with the caller's own token (the chassis channel forwards the
marketer's). A service that does not answer is Unavailable (UNAVAILABLE for the caller), never
a guess. (An unsubscription needs no call: it is an event the customer service consumes.)
"""

from __future__ import annotations

from uuid import UUID

import grpc
from crm_platform.errors import NotFound, Unavailable
from crm_platform.grpc_client import open_channel
from crm_proto.crm.analytics.v1 import analytics_pb2, analytics_pb2_grpc
from crm_proto.crm.common.v1 import common_pb2

DEADLINE = 5.0  # seconds, retries included
PAGE = 200
SCOPE = "customers:write"
_DOWN = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)
SEGMENTS = analytics_pb2.DESCRIPTOR.services_by_name["SegmentService"].full_name


class GrpcSegmentMembers:
    def __init__(self, channel: grpc.Channel) -> None:
        self._stub = analytics_pb2_grpc.SegmentServiceStub(channel)

    @classmethod
    def connect(cls, target: str) -> GrpcSegmentMembers:
        return cls(open_channel(target, idempotent_methods=((SEGMENTS, "ListSegmentMembers"),)))

    def members(self, segment_id: UUID) -> list[UUID]:
        members: list[UUID] = []
        token = ""
        while True:
            request = analytics_pb2.ListSegmentMembersRequest(
                segment_id=str(segment_id),
                page=common_pb2.PageRequest(page_size=PAGE, page_token=token),
            )
            try:
                page = self._stub.ListSegmentMembers(request, timeout=DEADLINE)
            except grpc.RpcError as error:
                if error.code() == grpc.StatusCode.NOT_FOUND:
                    raise NotFound(f"no segment {segment_id} in analytics") from None
                if error.code() in _DOWN:
                    raise Unavailable("the analytics service is unavailable") from error
                raise
            members.extend(UUID(member) for member in page.customer_ids)
            token = page.page.next_page_token
            if not token:
                return members
