"""The sender and the tracking links with fakes (a fake SMTP server, a fake customer service):
each queued recipient is claimed, mailed once with the RFC 8058 headers and marked; temporary
failures wait and retry until the attempts run out, permanent ones bounce and mark the
address; the last recipient done completes the campaign. Links are signed, a click goes only
to the template's links, and an unsubscription is recorded in the customer service first."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from crm_marketing.adapters.tracking_links import SignedLinks
from crm_marketing.domain.campaigns import (
    Audience,
    CampaignChannel,
    CampaignCompleted,
    CampaignState,
    CampaignTerms,
    ContactUnsubscribed,
    RecipientStatus,
    SkipReason,
    Template,
)
from crm_marketing.domain.contacts import Channel, Contact, Profile, Versioned
from crm_marketing.service_layer.campaigns import (
    CampaignHandlers,
    LinkClaim,
    LinkKind,
    TrackingHandlers,
)
from crm_marketing.service_layer.sending import Sender, SendPolicy
from crm_platform.errors import NotFound
from crm_platform.mail import PermanentFailure, TemporaryFailure, Unsendable

from tests.marketing.unit.campaign_fakes import (
    CampaignStore,
    FakeMailer,
    FakeSegments,
)
from tests.marketing.unit.fakes import MARKETER, NOW

LINKS = SignedLinks("https://crm.example.com", "unit-test-secret", "unsub@example.com")
OFFER = "https://shop.example.com/spring"
TEMPLATE = Template("Hi {{ name }}", f'<p><a href="{OFFER}">Offer</a></p>', "Offer: " + OFFER)
POLICY = SendPolicy(max_attempts=3, backoff=timedelta(minutes=1), lease=timedelta(minutes=10))


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def running(store: CampaignStore, emails: list[str], **changes: object) -> uuid.UUID:
    ids = []
    for email in emails:
        contact = Contact(uuid.uuid4(), Profile(name="Ada", email=email), 1,
                          consents={Channel.EMAIL: Versioned(True, 1)})  # fmt: skip
        store.contacts.save(contact)
        ids.append(contact.customer_id)
    values: dict[str, object] = {
        "name": "Spring",
        "channel": CampaignChannel.EMAIL,
        "audience": Audience(None, tuple(ids)),
        "template": TEMPLATE,
    }
    values.update(changes)
    handlers = CampaignHandlers(store, FakeSegments(), LINKS, clock=lambda: NOW)
    campaign = handlers.create(MARKETER, CampaignTerms(**values)).campaign  # type: ignore[arg-type]
    handlers.schedule(MARKETER, campaign.id, 0)
    handlers.launch(MARKETER, campaign.id, 0)
    return campaign.id


def sender(store: CampaignStore, mailer: FakeMailer, clock: Clock) -> Sender:
    return Sender(store, mailer, LINKS, lambda: f"<{uuid.uuid4()}@example.com>", POLICY, clock)


def test_each_recipient_is_mailed_once_with_its_headers_and_the_campaign_completes() -> None:
    store, mailer, clock = CampaignStore(), FakeMailer(), Clock()
    campaign_id = running(store, ["a@example.com", "b@example.com"], informational=True)
    mail = sender(store, mailer, clock)

    while mail.send_next():
        pass

    assert sorted(m.to for m in mailer.sent) == ["a@example.com", "b@example.com"]
    message = mailer.sent[0]
    assert message.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    https, mailto = message.headers["List-Unsubscribe"].split(", ")
    assert https.startswith("<https://crm.example.com/api/v1/public/mail/unsubscribe/")
    assert mailto.startswith("<mailto:unsub@example.com?subject=")
    assert message.headers["X-Message-Kind"] == "informational"
    assert "Precedence" not in message.headers
    assert message.message_id.endswith("@example.com>")
    assert store.campaigns.rows[campaign_id].state is CampaignState.COMPLETED
    assert [type(e) for e in store.events].count(CampaignCompleted) == 1


def test_a_temporary_failure_waits_its_backoff_and_gives_up_after_the_attempts() -> None:
    store, mailer, clock = CampaignStore(), FakeMailer(), Clock()
    campaign_id = running(store, ["a@example.com"])
    mailer.failures = [TemporaryFailure("451 4.7.1 later")] * 3
    mail = sender(store, mailer, clock)

    assert mail.send_next()
    assert not mail.send_next()  # not due before its backoff
    clock.now += timedelta(minutes=1)
    assert mail.send_next()
    clock.now += timedelta(minutes=1)
    assert not mail.send_next()  # the backoff doubled
    clock.now += timedelta(minutes=1)
    assert mail.send_next()

    [recipient] = store.recipients.rows.values()
    assert (recipient.status, recipient.attempts, recipient.last_error) == (
        RecipientStatus.BOUNCED, 3, "451 4.7.1 later",
    )  # fmt: skip
    assert not store.invalid_addresses  # the address itself was never refused
    assert store.campaigns.rows[campaign_id].state is CampaignState.COMPLETED


def test_a_permanent_failure_bounces_and_marks_the_address() -> None:
    store, mailer, clock = CampaignStore(), FakeMailer(), Clock()
    running(store, ["gone@example.com"])
    mailer.failures = [PermanentFailure("550 5.1.1 no such user")]

    assert sender(store, mailer, clock).send_next()

    [recipient] = store.recipients.rows.values()
    assert recipient.status is RecipientStatus.BOUNCED
    assert store.invalid_addresses == {"gone@example.com": "550 5.1.1 no such user"}


def test_a_claim_never_answered_is_given_up_not_sent_again() -> None:
    store, mailer, clock = CampaignStore(), FakeMailer(), Clock()
    campaign_id = running(store, ["a@example.com"])
    assert sender(store, mailer, clock)._claim() is not None  # and its sender died

    clock.now += POLICY.lease + timedelta(seconds=1)
    restarted = sender(store, mailer, clock)
    assert restarted.give_up_stale_claims() == 1
    assert not restarted.send_next()

    assert mailer.sent == []
    [recipient] = store.recipients.rows.values()
    assert (recipient.status, recipient.skip_reason) == (
        RecipientStatus.SKIPPED, SkipReason.UNCONFIRMED,
    )  # fmt: skip
    assert store.campaigns.rows[campaign_id].state is CampaignState.COMPLETED


def tracking(store: CampaignStore) -> TrackingHandlers:
    return TrackingHandlers(store, LINKS, clock=lambda: NOW)


def test_links_are_signed_and_a_click_goes_only_to_the_templates_links() -> None:
    store = CampaignStore()
    campaign_id = running(store, ["a@example.com"])
    sender(store, FakeMailer(), Clock()).send_next()
    [recipient] = store.recipients.rows.values()
    track = tracking(store)

    def token(kind: LinkKind, url: str = "") -> str:
        return LINKS.token(LinkClaim(kind, campaign_id, recipient.customer_id, url))

    assert track.clicked(token(LinkKind.CLICK, OFFER)) == OFFER
    with pytest.raises(NotFound):
        track.clicked(token(LinkKind.CLICK, "https://evil.example.com"))
    with pytest.raises(NotFound):
        track.clicked(token(LinkKind.OPEN))  # a token of another kind
    forged = SignedLinks("https://crm.example.com", "another-secret", "x@example.com")
    with pytest.raises(NotFound):
        track.clicked(forged.token(LinkClaim(LinkKind.CLICK, campaign_id,
                                             recipient.customer_id, OFFER)))  # fmt: skip
    track.opened(token(LinkKind.OPEN))  # an open after a click moves nothing back
    assert store.recipients.rows[(campaign_id, recipient.customer_id)].status is (
        RecipientStatus.CLICKED
    )


def test_an_unsubscription_is_one_event_and_stops_mail_at_once() -> None:
    store = CampaignStore()
    campaign_id = running(store, ["a@example.com"], track_opens=False)
    sender(store, FakeMailer(), Clock()).send_next()
    [recipient] = store.recipients.rows.values()
    key = (campaign_id, recipient.customer_id)
    token = LINKS.token(LinkClaim(LinkKind.UNSUBSCRIBE, campaign_id, recipient.customer_id))
    track = tracking(store)
    store.events.clear()

    track.opened(LINKS.token(LinkClaim(LinkKind.OPEN, campaign_id, recipient.customer_id)))
    assert store.recipients.rows[key].status is RecipientStatus.SENT  # opens not tracked
    assert track.unsubscribe_page(token).email == "a@example.com"
    assert store.events == []  # the page only asks
    track.unsubscribe(token)
    track.unsubscribe(token)  # the one-click POST after the page's: nothing more

    assert store.recipients.rows[key].status is RecipientStatus.UNSUBSCRIBED
    assert store.events == [ContactUnsubscribed(recipient.customer_id, campaign_id, NOW)]
    contact = store.contacts.get(recipient.customer_id)
    assert contact is not None
    assert not contact.reachable_by(Channel.EMAIL)


def test_a_message_that_cannot_be_made_bounces_without_blaming_the_address() -> None:
    store, mailer, clock = CampaignStore(), FakeMailer(), Clock()
    campaign_id = running(store, ["a@example.com"])
    mailer.failures = [Unsendable("the message cannot be made: a line break in a header")]

    assert sender(store, mailer, clock).send_next()

    [recipient] = store.recipients.rows.values()
    assert recipient.status is RecipientStatus.BOUNCED
    assert not store.invalid_addresses
    assert store.campaigns.rows[campaign_id].state is CampaignState.COMPLETED
