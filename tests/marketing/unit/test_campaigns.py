"""Campaigns as marketers plan and run them (domain and handlers, with fakes): the states in
order and nothing else, the checks on what a campaign is, who may change one, and who of an
audience is queued or skipped with why at launch."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from crm_marketing.adapters.tracking_links import SignedLinks
from crm_marketing.domain.campaigns import (
    Audience,
    Campaign,
    CampaignChannel,
    CampaignCompleted,
    CampaignLaunched,
    CampaignState,
    CampaignTerms,
    RecipientStatus,
    SkipReason,
    Template,
)
from crm_marketing.domain.contacts import Channel, Contact, Profile, Versioned
from crm_marketing.domain.values import Money
from crm_marketing.service_layer.campaigns import CampaignHandlers
from crm_platform.errors import Conflict, FailedPrecondition, PermissionDenied, ValidationFailed

from tests.marketing.unit.campaign_fakes import CampaignStore, FakeSegments
from tests.marketing.unit.fakes import MARKETER, NOW, REP

LINKS = SignedLinks("https://crm.example.com", "unit-test-secret", "unsub@example.com")
TEMPLATE = Template("Hello {{ name }}", "<p>Hi {{ name }}</p>", "Hi {{ name }}")
SEGMENT = uuid.uuid4()


def terms(**changes: object) -> CampaignTerms:
    values: dict[str, object] = {
        "name": " Spring ", "channel": CampaignChannel.EMAIL,
        "audience": Audience(SEGMENT), "template": TEMPLATE,
        "budget": Money(Decimal("1000"), "CNY"),
    }  # fmt: skip
    values.update(changes)
    return CampaignTerms(**values)  # type: ignore[arg-type]


def contact(email: str, *, consent: bool = True, blacklisted: bool = False) -> Contact:
    return Contact(
        uuid.uuid4(), Profile(name=email.split("@")[0].title(), email=email), 1,
        blacklisted=Versioned(blacklisted, 1), consents={Channel.EMAIL: Versioned(consent, 1)},
    )  # fmt: skip


def test_a_campaign_goes_draft_scheduled_running_completed_and_no_other_way() -> None:
    campaign = Campaign.plan(uuid.uuid4(), terms(channel=CampaignChannel.EVENT), MARKETER, NOW)
    assert (campaign.state, campaign.terms.name, campaign.terms.owner_id) == (
        CampaignState.DRAFT, "Spring", "marketer-1",
    )  # fmt: skip
    with pytest.raises(FailedPrecondition):
        campaign.launch(0, 0, MARKETER, NOW)
    campaign.schedule(MARKETER, NOW)
    with pytest.raises(FailedPrecondition):
        campaign.schedule(MARKETER, NOW)
    campaign.launch(40, 0, MARKETER, NOW)
    campaign.complete(MARKETER, NOW + timedelta(days=1))

    assert campaign.state is CampaignState.COMPLETED
    launched, completed = campaign.pull_events()
    assert isinstance(launched, CampaignLaunched)
    assert (launched.audience_size, launched.segment_id, launched.version) == (40, SEGMENT, 3)
    assert isinstance(completed, CampaignCompleted)
    assert (completed.version, completed.actor) == (4, MARKETER)
    with pytest.raises(FailedPrecondition):
        campaign.cancel(MARKETER, NOW)


def test_an_email_campaign_completes_by_itself_not_by_hand() -> None:
    campaign = Campaign.plan(uuid.uuid4(), terms(), MARKETER, NOW)
    campaign.schedule(MARKETER, NOW)
    campaign.launch(3, 2, MARKETER, NOW)
    with pytest.raises(FailedPrecondition):
        campaign.complete(MARKETER, NOW)
    empty = Campaign.plan(uuid.uuid4(), terms(), MARKETER, NOW)
    empty.schedule(MARKETER, NOW)
    empty.launch(1, 0, MARKETER, NOW)  # nobody to send to: done at once
    assert empty.state is CampaignState.COMPLETED


def test_what_a_campaign_is_is_checked_naming_the_fields() -> None:
    with pytest.raises(ValidationFailed) as refused:
        Campaign.plan(uuid.uuid4(), terms(
            name=" ", audience=Audience(SEGMENT, (uuid.uuid4(),)),
            starts_at=NOW, ends_at=NOW - timedelta(days=1),
            planned_cost=Money(Decimal("5"), "USD"),
        ), MARKETER, NOW)  # fmt: skip
    assert sorted(v.field for v in refused.value.violations) == [
        "campaign.customer_ids", "campaign.ends_at", "campaign.name", "campaign.planned_cost",
    ]  # fmt: skip


def test_scheduling_needs_an_audience_and_for_email_a_message() -> None:
    no_audience = Campaign.plan(uuid.uuid4(), terms(audience=Audience()), MARKETER, NOW)
    with pytest.raises(FailedPrecondition):
        no_audience.schedule(MARKETER, NOW)
    no_subject = Campaign.plan(uuid.uuid4(), terms(template=Template("", "<p>x</p>")), MARKETER,
                               NOW)  # fmt: skip
    with pytest.raises(FailedPrecondition):
        no_subject.schedule(MARKETER, NOW)
    assert (no_audience.state, no_audience.version) == (CampaignState.DRAFT, 1)


def test_only_marketing_staff_change_campaigns() -> None:
    with pytest.raises(PermissionDenied):
        Campaign.plan(uuid.uuid4(), terms(), REP, NOW)
    campaign = Campaign.plan(uuid.uuid4(), terms(), MARKETER, NOW)
    with pytest.raises(PermissionDenied):
        campaign.schedule(REP, NOW)


def handlers(store: CampaignStore, segments: FakeSegments | None = None) -> CampaignHandlers:
    return CampaignHandlers(store, segments or FakeSegments(), LINKS, clock=lambda: NOW)


def test_launching_queues_who_may_be_mailed_and_skips_the_rest_with_why() -> None:
    store = CampaignStore()
    ada, silent, banned = contact("ada@example.com"), contact("s@example.com", consent=False), \
        contact("b@example.com", blacklisted=True)  # fmt: skip
    bounced = contact("gone@example.com")
    for known in (ada, silent, banned, bounced):
        store.contacts.save(known)
    store.invalid_addresses["gone@example.com"] = "550 5.1.1"
    stranger = uuid.uuid4()
    members = [ada.customer_id, silent.customer_id, banned.customer_id, bounced.customer_id,
               stranger, ada.customer_id]  # fmt: skip
    campaigns = handlers(store, FakeSegments({SEGMENT: members}))
    planned = campaigns.create(MARKETER, terms()).campaign
    campaigns.schedule(MARKETER, planned.id, 1)

    view = campaigns.launch(MARKETER, planned.id, 2)

    assert view.campaign.state is CampaignState.RUNNING
    assert view.counts == {RecipientStatus.QUEUED: 1, RecipientStatus.SKIPPED: 4}
    reasons = {
        r.customer_id: r.skip_reason for r in store.recipients.of_campaign(planned.id, None, 10)
    }
    assert reasons == {
        ada.customer_id: None, silent.customer_id: SkipReason.NO_CONSENT,
        banned.customer_id: SkipReason.BLACKLISTED,
        bounced.customer_id: SkipReason.INVALID_ADDRESS, stranger: SkipReason.NO_CONTACT,
    }  # fmt: skip
    [launched] = [e for e in store.events if isinstance(e, CampaignLaunched)]
    assert (launched.audience_size, launched.queued) == (5, 1)


def test_a_stale_version_or_a_bad_template_changes_nothing() -> None:
    store = CampaignStore()
    campaigns = handlers(store)
    planned = campaigns.create(MARKETER, terms()).campaign
    with pytest.raises(Conflict):
        campaigns.schedule(MARKETER, planned.id, 7)
    with pytest.raises(ValidationFailed) as refused:
        campaigns.update(MARKETER, planned.id, terms(template=Template("{{ name", "x", "y")), 1)
    assert [v.field for v in refused.value.violations] == ["campaign.template.subject"]
    stored = store.campaigns.rows[planned.id]
    assert (stored.state, stored.version, stored.terms.template) == (
        CampaignState.DRAFT, 1, TEMPLATE,
    )  # fmt: skip


def test_once_launched_only_the_actual_cost_may_change() -> None:
    campaign = Campaign.plan(uuid.uuid4(), terms(channel=CampaignChannel.EVENT), MARKETER, NOW)
    campaign.schedule(MARKETER, NOW)
    campaign.launch(10, 0, MARKETER, NOW)
    with pytest.raises(FailedPrecondition):
        campaign.revise(terms(channel=CampaignChannel.EVENT, name="Autumn"), MARKETER, NOW)

    cost = Money(Decimal("812.50"), "CNY")
    campaign.revise(terms(channel=CampaignChannel.EVENT, actual_cost=cost), MARKETER, NOW)

    assert (campaign.terms.name, campaign.terms.actual_cost, campaign.version) == (
        "Spring", cost, 4,
    )  # fmt: skip
    campaign.cancel(MARKETER, NOW)
    with pytest.raises(FailedPrecondition):
        campaign.revise(terms(channel=CampaignChannel.EVENT), MARKETER, NOW)
