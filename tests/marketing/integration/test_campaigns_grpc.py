"""Campaigns over real gRPC on PostgreSQL and SQLite: a marketer plans, schedules and launches
a campaign to a segment, and CampaignLaunched (and, nobody being reachable, CampaignCompleted)
is in the outbox; a step out of order is FAILED_PRECONDITION, a template that does not render
INVALID_ARGUMENT naming its field, a stale version ABORTED, and none changes anything; a sales
rep reads but may not change; the tracking links answer without a token, and a forged one is
NOT_FOUND."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from uuid import UUID

import grpc
import pytest
from crm_marketing.adapters.tracking_links import SignedLinks
from crm_marketing.entrypoints import campaigns_api
from crm_marketing.service_layer.campaigns import (
    CampaignHandlers,
    LinkClaim,
    LinkKind,
    TrackingHandlers,
)
from crm_platform.access import policy_of
from crm_platform.db import ping
from crm_platform.grpc_errors import ErrorDetails, details_of
from crm_platform.testing.grpc_servers import serving
from crm_platform.testing.tokens import staff_token
from crm_proto.crm.common.v1 import common_pb2
from crm_proto.crm.marketing.v1 import campaigns_pb2, campaigns_pb2_grpc, events_pb2
from sqlalchemy import Engine

from tests.customer.integration.support import outbox_events
from tests.marketing.integration.conftest import call, unit_of_work

MARKETER = staff_token("marketer", subject="marketer-1")
REP = staff_token("sales_rep", subject="rep-1")
C = campaigns_pb2
SEGMENT = uuid.uuid4()
LINKS = SignedLinks("https://crm.example.com", "integration-test-secret", "unsub@example.com")


class Segments:
    def __init__(self) -> None:
        self.members_of: dict[UUID, list[UUID]] = {SEGMENT: [uuid.uuid4(), uuid.uuid4()]}

    def members(self, segment_id: UUID) -> list[UUID]:
        return self.members_of[segment_id]


Stubs = tuple[campaigns_pb2_grpc.CampaignServiceStub, campaigns_pb2_grpc.TrackingServiceStub]
# the policy of the two services this server has, as the service's is built
CAMPAIGN_POLICY = policy_of(campaigns_api.CAMPAIGNS, campaigns_api.TRACKING)


@pytest.fixture
def stubs(engine: Engine) -> Iterator[Stubs]:
    campaigns = CampaignHandlers(unit_of_work(engine), Segments(), LINKS)
    tracking = TrackingHandlers(unit_of_work(engine), LINKS)
    bindings = campaigns_api.bindings(campaigns, tracking)
    with serving(bindings, CAMPAIGN_POLICY, database=lambda: ping(engine)) as target:
        channel = grpc.insecure_channel(target)
        try:
            yield (
                campaigns_pb2_grpc.CampaignServiceStub(channel),
                campaigns_pb2_grpc.TrackingServiceStub(channel),
            )
        finally:
            channel.close()


def refused(rpc: object, token: str | None, request: object) -> ErrorDetails:
    with pytest.raises(grpc.RpcError) as error:
        call(rpc, token, request)
    return details_of(error.value)


def campaign_input(**fields: object) -> C.CampaignInput:
    values: dict[str, object] = {
        "name": "Spring", "channel": C.CAMPAIGN_CHANNEL_EMAIL, "segment_id": str(SEGMENT),
        "budget": common_pb2.Money(currency_code="CNY", amount="800.00"),
        "template": C.Template(subject="Hi {{ name }}", text_body="Spring is here"),
    }  # fmt: skip
    values.update(fields)
    return C.CampaignInput(**values)  # type: ignore[arg-type]


def test_a_marketer_plans_schedules_and_launches_a_campaign(engine: Engine, stubs: Stubs) -> None:
    campaigns, _tracking = stubs
    created = call(campaigns.CreateCampaign, MARKETER,
                   C.CreateCampaignRequest(campaign=campaign_input()))  # fmt: skip
    assert (created.state, created.version, created.budget.amount, created.owner_id) == (
        C.CAMPAIGN_STATE_DRAFT, 1, "800.00", "marketer-1",
    )  # fmt: skip
    change = C.ChangeCampaignStateRequest(id=created.id)

    early = refused(campaigns.LaunchCampaign, MARKETER, change)
    assert early.code == grpc.StatusCode.FAILED_PRECONDITION
    call(campaigns.ScheduleCampaign, MARKETER, change)
    stale = refused(campaigns.LaunchCampaign, MARKETER,
                    C.ChangeCampaignStateRequest(id=created.id, expected_version=1))  # fmt: skip
    assert stale.code == grpc.StatusCode.ABORTED
    launched = call(campaigns.LaunchCampaign, MARKETER, change)

    # nobody of the segment is in the contact copy: both skipped, so it is done at once
    assert (launched.recipients.skipped, launched.recipients.queued) == (2, 0)
    assert launched.state == C.CAMPAIGN_STATE_COMPLETED
    launches = [e.message for e in outbox_events(engine) if e.type.endswith("CampaignLaunched")]
    completions = [e for e in outbox_events(engine) if e.type.endswith("CampaignCompleted")]
    [event] = launches
    assert isinstance(event, events_pb2.CampaignLaunched)
    assert (event.campaign_id, event.segment_id, event.audience_size, event.channel) == (
        created.id, str(SEGMENT), 2, "email",
    )  # fmt: skip
    assert len(completions) == 1
    assert event.actor.subject == "marketer-1"


def test_bad_input_names_its_field_and_a_rep_may_only_read(engine: Engine, stubs: Stubs) -> None:
    campaigns, _tracking = stubs
    broken = refused(
        campaigns.CreateCampaign,
        MARKETER,
        C.CreateCampaignRequest(
            campaign=campaign_input(template=C.Template(subject="Hi {{ name ", text_body="x"))
        ),
    )
    assert broken.code == grpc.StatusCode.INVALID_ARGUMENT
    assert [v.field for v in broken.violations] == ["campaign.template.subject"]
    created = call(campaigns.CreateCampaign, MARKETER,
                   C.CreateCampaignRequest(campaign=campaign_input()))  # fmt: skip

    denied = refused(campaigns.ScheduleCampaign, REP, C.ChangeCampaignStateRequest(id=created.id))
    assert denied.code == grpc.StatusCode.PERMISSION_DENIED
    read = call(campaigns.GetCampaign, REP, C.GetCampaignRequest(id=created.id))
    assert (read.state, read.version) == (C.CAMPAIGN_STATE_DRAFT, 1)
    listed = call(campaigns.ListCampaigns, REP, C.ListCampaignsRequest())
    assert [c.id for c in listed.campaigns] == [created.id]


def test_tracking_answers_without_a_token_and_a_forged_link_is_not_found(
    stubs: Stubs,
) -> None:
    _campaigns, tracking = stubs
    forged = refused(tracking.GetLinkTarget, None, C.TrackingRequest(token="not.a.token"))
    assert forged.code == grpc.StatusCode.NOT_FOUND
    # well signed, but of a recipient nobody launched
    token = LINKS.token(LinkClaim(LinkKind.OPEN, uuid.uuid4(), uuid.uuid4()))
    assert refused(tracking.GetTrackingPixel, None, C.TrackingRequest(token=token)).code == (
        grpc.StatusCode.NOT_FOUND
    )
