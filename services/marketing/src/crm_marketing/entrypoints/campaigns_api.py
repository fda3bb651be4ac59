"""The campaigns' and the tracking links' gRPC servicers: request -> handler -> response."""

from __future__ import annotations

import base64
import html
from uuid import UUID

import grpc
from crm_platform import parsing
from crm_platform.grpc_server import ServiceBinding
from crm_proto.crm.marketing.v1 import campaigns_pb2, campaigns_pb2_grpc

from crm_marketing.adapters.campaigns_messages import (
    campaign_to_proto,
    recipient_to_proto,
    rendered_to_proto,
    terms_of,
)
from crm_marketing.entrypoints.actors import caller
from crm_marketing.service_layer.campaigns import CampaignHandlers, TrackingHandlers

CAMPAIGNS = campaigns_pb2.DESCRIPTOR.services_by_name["CampaignService"]
TRACKING = campaigns_pb2.DESCRIPTOR.services_by_name["TrackingService"]
C = campaigns_pb2
# a transparent 1x1 GIF
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


class CampaignServicer(campaigns_pb2_grpc.CampaignServiceServicer):
    def __init__(self, campaigns: CampaignHandlers) -> None:
        self.campaigns = campaigns

    def CreateCampaign(
        self, request: C.CreateCampaignRequest, context: grpc.ServicerContext
    ) -> C.Campaign:
        return campaign_to_proto(self.campaigns.create(caller(), terms_of(request.campaign)))

    def GetCampaign(
        self, request: C.GetCampaignRequest, context: grpc.ServicerContext
    ) -> C.Campaign:
        return campaign_to_proto(self.campaigns.get(parsing.uuid(request.id, "id")))

    def ListCampaigns(
        self, request: C.ListCampaignsRequest, context: grpc.ServicerContext
    ) -> C.ListCampaignsResponse:
        page = self.campaigns.list(
            page_size=request.page.page_size, page_token=request.page.page_token
        )
        response = C.ListCampaignsResponse(campaigns=[campaign_to_proto(v) for v in page.items])
        response.page.next_page_token = page.next_page_token
        return response

    def UpdateCampaign(
        self, request: C.UpdateCampaignRequest, context: grpc.ServicerContext
    ) -> C.Campaign:
        view = self.campaigns.update(
            caller(),
            parsing.uuid(request.id, "id"),
            terms_of(request.campaign),
            request.expected_version,
        )
        return campaign_to_proto(view)

    def ScheduleCampaign(
        self, request: C.ChangeCampaignStateRequest, context: grpc.ServicerContext
    ) -> C.Campaign:
        return campaign_to_proto(self.campaigns.schedule(caller(), *_change(request)))

    def LaunchCampaign(
        self, request: C.ChangeCampaignStateRequest, context: grpc.ServicerContext
    ) -> C.Campaign:
        return campaign_to_proto(self.campaigns.launch(caller(), *_change(request)))

    def CompleteCampaign(
        self, request: C.ChangeCampaignStateRequest, context: grpc.ServicerContext
    ) -> C.Campaign:
        return campaign_to_proto(self.campaigns.complete(caller(), *_change(request)))

    def CancelCampaign(
        self, request: C.ChangeCampaignStateRequest, context: grpc.ServicerContext
    ) -> C.Campaign:
        return campaign_to_proto(self.campaigns.cancel(caller(), *_change(request)))

    def GetMessagePreview(
        self, request: C.GetMessagePreviewRequest, context: grpc.ServicerContext
    ) -> C.RenderedMessage:
        rendered = self.campaigns.preview(
            parsing.uuid(request.id, "id"), parsing.uuid(request.customer_id, "customer_id")
        )
        return rendered_to_proto(rendered)

    def ListRecipients(
        self, request: C.ListRecipientsRequest, context: grpc.ServicerContext
    ) -> C.ListRecipientsResponse:
        page = self.campaigns.recipients(
            parsing.uuid(request.campaign_id, "campaign_id"),
            page_size=request.page.page_size,
            page_token=request.page.page_token,
        )
        response = C.ListRecipientsResponse(
            recipients=[recipient_to_proto(found) for found in page.items]
        )
        response.page.next_page_token = page.next_page_token
        return response


def _change(request: C.ChangeCampaignStateRequest) -> tuple[UUID, int]:
    return parsing.uuid(request.id, "id"), request.expected_version


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="robots" content="noindex">'
        f"<title>{html.escape(title)}</title></head><body>{body}</body></html>"
    )


class TrackingServicer(campaigns_pb2_grpc.TrackingServiceServicer):
    def __init__(self, tracking: TrackingHandlers) -> None:
        self.tracking = tracking

    def GetTrackingPixel(
        self, request: C.TrackingRequest, context: grpc.ServicerContext
    ) -> C.TrackingImage:
        self.tracking.opened(request.token)
        return C.TrackingImage(image=PIXEL)

    def GetLinkTarget(
        self, request: C.TrackingRequest, context: grpc.ServicerContext
    ) -> C.TrackingRedirect:
        return C.TrackingRedirect(url=self.tracking.clicked(request.token))

    def GetUnsubscribePage(
        self, request: C.TrackingRequest, context: grpc.ServicerContext
    ) -> C.TrackingPage:
        recipient = self.tracking.unsubscribe_page(request.token)
        # a form posted to this same address: only a person pressing the button unsubscribes
        body = (
            "<h1>Unsubscribe</h1>"
            f"<p>Stop marketing e-mail to {html.escape(recipient.email)}?</p>"
            '<form method="post"><button type="submit">Unsubscribe</button></form>'
        )
        return C.TrackingPage(html=_page("Unsubscribe", body))

    def Unsubscribe(
        self, request: C.TrackingRequest, context: grpc.ServicerContext
    ) -> C.TrackingPage:
        recipient = self.tracking.unsubscribe(request.token)
        body = (
            "<h1>Unsubscribed</h1>"
            f"<p>{html.escape(recipient.email)} will get no more marketing e-mail.</p>"
        )
        return C.TrackingPage(html=_page("Unsubscribed", body))


def bindings(campaigns: CampaignHandlers, tracking: TrackingHandlers) -> list[ServiceBinding]:
    return [
        ServiceBinding(
            CAMPAIGNS.full_name,
            CampaignServicer(campaigns),
            campaigns_pb2_grpc.add_CampaignServiceServicer_to_server,
        ),
        ServiceBinding(
            TRACKING.full_name,
            TrackingServicer(tracking),
            campaigns_pb2_grpc.add_TrackingServiceServicer_to_server,
        ),
    ]
