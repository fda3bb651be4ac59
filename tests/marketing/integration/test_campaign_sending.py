"""Campaign e-mail through a real SMTP server (aiosmtpd) from a real database (PostgreSQL and
SQLite): launching queues the consenting and skips the others with why; the sender mails each
queued recipient once with the RFC 8058 headers and completes the campaign; a temporary
refusal is retried, a permanent one bounces and marks the address so no campaign mails it
again; a sender stopped mid-campaign and started again mails nobody twice."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from email.utils import make_msgid
from uuid import UUID

import pytest
from crm_marketing.adapters.tracking_links import SignedLinks
from crm_marketing.adapters.unit_of_work import SqlUnitOfWork
from crm_marketing.domain.campaigns import (
    Audience,
    CampaignChannel,
    CampaignState,
    CampaignTerms,
    RecipientStatus,
    SkipReason,
    Template,
)
from crm_marketing.domain.contacts import Channel, Profile
from crm_marketing.domain.values import Actor, ActorKind
from crm_marketing.entrypoints.sender import run_sender
from crm_marketing.service_layer import contacts
from crm_marketing.service_layer.campaigns import CampaignHandlers
from crm_marketing.service_layer.sending import Sender, SendPolicy
from crm_platform.mail import SmtpMailer
from crm_platform.testing.processes import wait_until
from sqlalchemy import Engine

from tests.customer.integration.support import outbox_types
from tests.marketing.integration.conftest import unit_of_work
from tests.marketing.integration.smtp_server import Mailbox, smtp_server

MARKETER = Actor("marketer-1", ActorKind.STAFF, frozenset({"marketer"}))
LINKS = SignedLinks("https://crm.example.com", "integration-test-secret", "unsub@example.com")
TEMPLATE = Template(
    subject="Spring offer for {{ name }}",
    html_body='<p>Dear {{ name }}, see <a href="https://shop.example.com/spring">the offer</a>.'
    '</p><p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>',
    text_body="Dear {{ name }}, https://shop.example.com/spring\n"
    "Unsubscribe: {{ unsubscribe_url }}",
)
FAST = SendPolicy(max_attempts=3, backoff=timedelta(0), lease=timedelta(minutes=10))


class NoSegments:
    def members(self, segment_id: UUID) -> list[UUID]:
        raise AssertionError("a static list needs no segment")


@pytest.fixture
def smtp() -> Iterator[tuple[str, Mailbox]]:
    with smtp_server() as server:
        yield server


def customer(
    engine: Engine, email: str, *, consent: bool = True, blacklisted: bool = False
) -> UUID:
    customer_id = uuid.uuid4()
    with unit_of_work(engine)() as uow:
        contacts.apply_snapshot(
            uow, customer_id, Profile(name=email.split("@")[0].title(), email=email),
            blacklisted=blacklisted, consents={Channel.EMAIL: consent}, merged_into_id=None,
            version=1,
        )  # fmt: skip
        uow.commit()
    return customer_id


def launched(engine: Engine, audience: list[UUID]) -> UUID:
    handlers = CampaignHandlers(unit_of_work(engine), NoSegments(), LINKS)
    terms = CampaignTerms(
        name="Spring", channel=CampaignChannel.EMAIL, audience=Audience(None, tuple(audience)),
        template=TEMPLATE,
    )  # fmt: skip
    campaign = handlers.create(MARKETER, terms).campaign
    handlers.schedule(MARKETER, campaign.id, 0)
    handlers.launch(MARKETER, campaign.id, 0)
    return campaign.id


def sender(engine: Engine, url: str, policy: SendPolicy = FAST) -> Sender:
    return Sender(unit_of_work(engine), SmtpMailer(url, "Guanxi <news@example.com>"), LINKS,
                  lambda: make_msgid(domain="example.com"), policy)  # fmt: skip


def send_all(engine: Engine, url: str) -> None:
    mailer = sender(engine, url)
    while mailer.send_next():
        pass


def recipient_statuses(engine: Engine, campaign_id: UUID) -> dict[UUID, tuple[str, str]]:
    with unit_of_work(engine)() as uow:
        found = uow.recipients.of_campaign(campaign_id, None, 100)
    return {
        r.customer_id: (r.status.value, r.skip_reason.value if r.skip_reason else "") for r in found
    }


def state(engine: Engine, campaign_id: UUID) -> CampaignState:
    uow_factory: Callable[[], SqlUnitOfWork] = unit_of_work(engine)
    with uow_factory() as uow:
        found = uow.campaigns.get(campaign_id)
    assert found is not None
    return found.state


def test_a_campaign_mails_the_consenting_once_and_completes(
    engine: Engine, smtp: tuple[str, Mailbox]
) -> None:
    url, mailbox = smtp
    ada = customer(engine, "ada@example.com")
    silent = customer(engine, "silent@example.com", consent=False)
    banned = customer(engine, "banned@example.com", blacklisted=True)
    unknown = uuid.uuid4()
    campaign_id = launched(engine, [ada, silent, banned, unknown])

    assert recipient_statuses(engine, campaign_id) == {
        ada: ("queued", ""), silent: ("skipped", "no_consent"),
        banned: ("skipped", "blacklisted"), unknown: ("skipped", "no_contact"),
    }  # fmt: skip
    send_all(engine, url)

    [message] = mailbox.received()
    assert (message["To"], message["Subject"]) == ("ada@example.com", "Spring offer for Ada")
    unsubscribe = message["List-Unsubscribe"]
    # as sent: one plain line, never an encoded word, which a structured header may not hold
    raw = dict(message.raw_items())["List-Unsubscribe"]
    assert raw.startswith("<https://")
    assert "=?" not in raw
    assert "\n" not in raw
    assert unsubscribe.startswith("<https://crm.example.com/api/v1/public/mail/unsubscribe/")
    assert "<mailto:unsub@example.com?subject=" in unsubscribe
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Message-ID"]
    html = message.get_body(("html",))
    assert html is not None
    content = html.get_content()
    # the template's link is tracked, the open pixel is in
    assert "https://shop.example.com/spring" not in content
    assert "/api/v1/public/mail/click/" in content
    assert "/api/v1/public/mail/open/" in content
    assert recipient_statuses(engine, campaign_id)[ada] == ("sent", "")
    assert state(engine, campaign_id) is CampaignState.COMPLETED
    assert outbox_types(engine).count("CampaignLaunched") == 1
    assert outbox_types(engine).count("CampaignCompleted") == 1


def test_a_temporary_refusal_is_retried_and_a_permanent_one_bounces_for_good(
    engine: Engine, smtp: tuple[str, Mailbox]
) -> None:
    url, mailbox = smtp
    later = customer(engine, "later@example.com")
    gone = customer(engine, "gone@example.com")
    mailbox.refuse_for_now["later@example.com"] = 1
    mailbox.refuse_for_good.add("gone@example.com")
    campaign_id = launched(engine, [later, gone])

    send_all(engine, url)

    assert [m["To"] for m in mailbox.received()] == ["later@example.com"]
    with unit_of_work(engine)() as uow:
        retried = uow.recipients.get(campaign_id, later)
        bounced = uow.recipients.get(campaign_id, gone)
    assert retried is not None
    assert bounced is not None
    assert (retried.status, retried.attempts) == (RecipientStatus.SENT, 2)
    assert bounced.status is RecipientStatus.BOUNCED
    assert bounced.last_error.startswith("550")
    assert state(engine, campaign_id) is CampaignState.COMPLETED
    # the next campaign does not try the address again
    again = launched(engine, [gone])
    assert recipient_statuses(engine, again) == {gone: ("skipped", SkipReason.INVALID_ADDRESS)}
    assert state(engine, again) is CampaignState.COMPLETED


def test_a_sender_stopped_mid_campaign_and_restarted_mails_nobody_twice(
    engine: Engine, smtp: tuple[str, Mailbox]
) -> None:
    url, mailbox = smtp
    audience = [customer(engine, f"reader{n}@example.com") for n in range(6)]
    campaign_id = launched(engine, audience)
    # a sender that dies between its claim and the SMTP answer
    crashed = sender(engine, url)._claim()
    assert crashed is not None
    _campaign, lost = crashed

    first_stop = threading.Event()
    first = threading.Thread(target=run_sender, args=(sender(engine, url), first_stop),
                             kwargs={"rate": 50.0})  # fmt: skip
    first.start()
    wait_until(lambda: len(mailbox.received()) >= 2, timeout=20, what="the first messages")
    first_stop.set()
    first.join(timeout=20)
    assert not first.is_alive()

    # the next sender gives the dead one's claim up (its lease long past) and sends the rest
    restarted = sender(engine, url, SendPolicy(backoff=timedelta(0), lease=timedelta(0)))
    restarted.give_up_stale_claims()
    while restarted.send_next():
        pass

    addresses = [m["To"] for m in mailbox.received()]
    assert len(addresses) == len(set(addresses)) == 5
    assert lost.email not in addresses
    statuses = recipient_statuses(engine, campaign_id)
    assert statuses[lost.customer_id] == ("skipped", "unconfirmed")
    assert sorted(s for s, _ in statuses.values()) == ["sent"] * 5 + ["skipped"]
    assert state(engine, campaign_id) is CampaignState.COMPLETED
