"""gRPC: SegmentService, request -> segment handlers -> response.

The chassis checks each request against the `rules` of analytics.proto first; what needs the
domain (a rule's fields, operators and values) becomes ValidationFailed with its path.
"""

from __future__ import annotations

import grpc
from crm_platform import context, parsing
from crm_platform.grpc_server import ServiceBinding
from crm_proto.crm.analytics.v1 import analytics_pb2, analytics_pb2_grpc

from crm_analytics.adapters.messages import rule_from_proto, segment_to_proto
from crm_analytics.domain.rule_segments import UPDATABLE
from crm_analytics.service_layer.segments import SegmentHandlers

SERVICE = analytics_pb2.DESCRIPTOR.services_by_name["SegmentService"]


class SegmentServicer(analytics_pb2_grpc.SegmentServiceServicer):
    def __init__(self, segments: SegmentHandlers) -> None:
        self.segments = segments

    def PreviewSegment(
        self, request: analytics_pb2.PreviewSegmentRequest, context_: grpc.ServicerContext
    ) -> analytics_pb2.PreviewSegmentResponse:
        count = self.segments.preview(rule_from_proto(request.rule))
        return analytics_pb2.PreviewSegmentResponse(member_count=count)

    def CreateSegment(
        self, request: analytics_pb2.CreateSegmentRequest, context_: grpc.ServicerContext
    ) -> analytics_pb2.Segment:
        segment = self.segments.create(
            context.principal.get().subject,
            name=request.name,
            description=request.description,
            rule=rule_from_proto(request.rule),
        )
        return segment_to_proto(segment)

    def GetSegment(
        self, request: analytics_pb2.GetSegmentRequest, context_: grpc.ServicerContext
    ) -> analytics_pb2.Segment:
        return segment_to_proto(self.segments.get(parsing.uuid(request.id, "id")))

    def ListSegments(
        self, request: analytics_pb2.ListSegmentsRequest, context_: grpc.ServicerContext
    ) -> analytics_pb2.ListSegmentsResponse:
        page = self.segments.list(request.page.page_size, request.page.page_token)
        response = analytics_pb2.ListSegmentsResponse(
            segments=[segment_to_proto(segment) for segment in page.items]
        )
        response.page.next_page_token = page.next_page_token
        return response

    def UpdateSegment(
        self, request: analytics_pb2.UpdateSegmentRequest, context_: grpc.ServicerContext
    ) -> analytics_pb2.Segment:
        fields = parsing.field_mask(request.update_mask.paths, UPDATABLE)
        segment = self.segments.update(
            parsing.uuid(request.id, "id"),
            fields,
            expected_version=request.expected_version,
            name=request.name,
            description=request.description,
            rule=rule_from_proto(request.rule) if "rule" in fields else None,
        )
        return segment_to_proto(segment)

    def DeleteSegment(
        self, request: analytics_pb2.DeleteSegmentRequest, context_: grpc.ServicerContext
    ) -> analytics_pb2.DeleteSegmentResponse:
        self.segments.delete(parsing.uuid(request.id, "id"), request.expected_version)
        return analytics_pb2.DeleteSegmentResponse()

    def ListSegmentMembers(
        self, request: analytics_pb2.ListSegmentMembersRequest, context_: grpc.ServicerContext
    ) -> analytics_pb2.ListSegmentMembersResponse:
        page = self.segments.members(
            parsing.uuid(request.segment_id, "segment_id"),
            request.page.page_size,
            request.page.page_token,
        )
        response = analytics_pb2.ListSegmentMembersResponse(customer_ids=page.items)
        response.page.next_page_token = page.next_page_token
        return response


def binding(segments: SegmentHandlers) -> ServiceBinding:
    return ServiceBinding(
        name=SERVICE.full_name,
        servicer=SegmentServicer(segments),
        add_to_server=analytics_pb2_grpc.add_SegmentServiceServicer_to_server,
    )
