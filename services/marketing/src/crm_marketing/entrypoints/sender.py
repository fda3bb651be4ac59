"""The sender role: queued campaign e-mail handed to the SMTP server, at most `send_rate`
messages a second; stopped, it finishes the message in hand and returns."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from email.utils import make_msgid

from crm_platform.mail import SmtpMailer, domain_of
from crm_platform.service import Wiring, Worker

from crm_marketing.adapters.tracking_links import SignedLinks
from crm_marketing.adapters.unit_of_work import SqlUnitOfWork
from crm_marketing.config import MarketingSettings
from crm_marketing.service_layer.sending import Sender, SendPolicy

log = logging.getLogger(__name__)
DEVELOPMENT_SECRET = "development-only-tracking-secret"  # noqa: S105 - known to be public
IDLE = 1.0  # seconds between looks for due recipients when none is due
STALE_CHECK = 60.0  # seconds between looks for claims given up
TROUBLE_PAUSE = 5.0  # seconds after a failure of the sender itself


def links_of(settings: MarketingSettings) -> SignedLinks:
    secret = settings.tracking_secret
    if secret is None:
        log.warning(
            "CRM_MARKETING_TRACKING_SECRET is unset: tracking links are signed with the "
            "development secret, which anyone can read; set it outside development"
        )
        secret = DEVELOPMENT_SECRET
    return SignedLinks(settings.public_url, secret, settings.unsubscribe_mailbox)


def sender_of(
    settings: MarketingSettings, wiring: Wiring[MarketingSettings, SqlUnitOfWork]
) -> Sender:
    domain = domain_of(settings.mail_from)
    return Sender(
        wiring.unit_of_work,
        SmtpMailer(settings.smtp_url, settings.mail_from),
        links_of(settings),
        lambda: make_msgid(domain=domain),
        SendPolicy(
            max_attempts=settings.send_attempts,
            backoff=timedelta(seconds=settings.retry_backoff_seconds),
        ),
    )


def run_sender(sender: Sender, stop: threading.Event, *, rate: float) -> None:
    interval = 1.0 / rate
    since_stale_check = STALE_CHECK
    while not stop.is_set():
        try:
            if since_stale_check >= STALE_CHECK:
                sender.give_up_stale_claims()
                since_stale_check = 0.0
            waited = interval if sender.send_next() else IDLE
        except Exception:
            # the database away, most likely: what was claimed stays claimed (given up once
            # its lease is past), and the sender tries again in a while
            log.exception("the sender failed; trying again in %s s", TROUBLE_PAUSE)
            waited = TROUBLE_PAUSE
        stop.wait(waited)
        since_stale_check += waited


def worker(wiring: Wiring[MarketingSettings, SqlUnitOfWork]) -> Worker:
    settings = wiring.settings
    sender = sender_of(settings, wiring)
    return Worker(lambda stop: run_sender(sender, stop, rate=settings.send_rate))
