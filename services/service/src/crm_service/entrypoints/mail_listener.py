"""The mail role (`crm-service mail`): an SMTP listener (aiosmtpd) for mail to the support
address. A mail that becomes or joins a case is accepted (250, with the case's reference);
one refused as it is (a sender that is no address, an attachment over the limit) is a
permanent 550; anything else a temporary 451, so the sending server tries again."""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from crm_platform import context
from crm_platform.context import Principal
from crm_platform.errors import ValidationFailed
from crm_proto.crm.common.v1 import common_pb2

from crm_service.adapters.mail_parsing import parse_mail
from crm_service.service_layer.mail import MAIL_LISTENER, MailHandlers

log = logging.getLogger(__name__)

LISTENER = Principal(subject=MAIL_LISTENER.subject, kind=common_pb2.ACTOR_KIND_SERVICE)


class CaseMailHandler:
    def __init__(self, mail: MailHandlers) -> None:
        self.mail = mail

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content: Any = envelope.original_content or envelope.content or b""
        raw = content if isinstance(content, bytes) else str(content).encode()
        # the database work off the listener's event loop
        return await asyncio.to_thread(self._receive, raw, envelope.mail_from or "")

    def _receive(self, raw: bytes, envelope_sender: str) -> str:
        with context.acting_as(LISTENER):
            try:
                case = self.mail.receive(parse_mail(raw, envelope_sender))
            except ValidationFailed as exc:
                return f"550 {exc}"
            except Exception:
                log.exception("a mail could not be taken in")
                return "451 try again later"
        return f"250 OK {case.reference}"


def run_listener(
    mail: MailHandlers, *, host: str, port: int | None, max_bytes: int, stop: threading.Event
) -> None:
    if port is None:
        log.info("mail to case is off: CRM_SERVICE_MAIL_PORT is not set")
        stop.wait()
        return
    controller = Controller(
        CaseMailHandler(mail), hostname=host, port=port, data_size_limit=max_bytes
    )
    controller.start()
    log.info("mail to case on %s:%d", host, port)
    try:
        stop.wait()
    finally:
        controller.stop()
