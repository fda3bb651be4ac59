"""The sender role (`crm-service sender`): the queued replies and surveys handed to the SMTP
server one at a time; stopped, it finishes the mail in hand and returns."""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta
from email.utils import make_msgid
from functools import partial

from crm_platform.clock import OffsetClock
from crm_platform.mail import SmtpMailer, domain_of
from crm_platform.service import Wiring, Worker

from crm_service.adapters.unit_of_work import SqlUnitOfWork
from crm_service.config import SupportSettings
from crm_service.service_layer.outbound import MailSender, Outbound, SendPolicy
from crm_service.service_layer.ports import SurveyLinks

log = logging.getLogger(__name__)
IDLE = 1.0  # seconds between looks for due mail when none is due
STALE_CHECK = 60.0  # seconds between looks for claims given up
TROUBLE_PAUSE = 5.0  # seconds after a failure of the sender itself


def outbound_of(settings: SupportSettings, links: SurveyLinks) -> Outbound:
    return Outbound(partial(make_msgid, domain=domain_of(settings.mail_from)), links)


def run_sender(sender: MailSender, stop: threading.Event) -> None:
    stale_checked = -STALE_CHECK
    while not stop.is_set():
        try:
            if time.monotonic() - stale_checked >= STALE_CHECK:
                sender.give_up_stale_claims()
                stale_checked = time.monotonic()
            if not sender.send_next():
                stop.wait(IDLE)
        except Exception:
            # the database away, most likely: what was claimed stays claimed (given up once
            # its lease is past), and the sender tries again in a while
            log.exception("the sender failed; trying again in %s s", TROUBLE_PAUSE)
            stop.wait(TROUBLE_PAUSE)


def worker(wiring: Wiring[SupportSettings, SqlUnitOfWork]) -> Worker:
    settings = wiring.settings
    sender = MailSender(
        wiring.unit_of_work,
        SmtpMailer(settings.smtp_url, settings.mail_from),
        SendPolicy(
            max_attempts=settings.send_attempts,
            backoff=timedelta(seconds=settings.retry_backoff_seconds),
        ),
        # the service's one clock: what the handlers queue at their now is due at the sender's
        clock=OffsetClock(settings.clock_offset_file),
    )
    return Worker(lambda stop: run_sender(sender, stop))
