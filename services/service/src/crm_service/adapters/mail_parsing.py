"""A received mail (RFC 5322 bytes) as the service layer takes it: the sender, subject, the
plain text (else the HTML's), its Message-ID and the ones it answers, and its attachments."""

from __future__ import annotations

import uuid
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parseaddr

from crm_service.domain.cases import Attachment
from crm_service.service_layer.mail import InboundMail


def parse_mail(raw: bytes, envelope_sender: str) -> InboundMail:
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    sender = parseaddr(str(message.get("From", "")))[1] or envelope_sender
    replying_to = " ".join(str(message.get(name, "")) for name in ("In-Reply-To", "References"))
    return InboundMail(
        sender=sender,
        subject=str(message.get("Subject", "")),
        body=_text_of(message),
        mail_id=str(message.get("Message-ID", "")).strip(),
        replying_to=tuple(replying_to.split()),
        attachments=tuple(_attachments_of(message)),
    )


def _text_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        return ""
    content = body.get_content()
    return content if isinstance(content, str) else ""


def _attachments_of(message: EmailMessage) -> list[Attachment]:
    found = []
    for part in message.iter_attachments():
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        found.append(
            Attachment(
                id=uuid.uuid4(),
                filename=(part.get_filename() or "attachment")[:255],
                content_type=part.get_content_type()[:255],
                size=len(data),
                data=data,
            )
        )
    return found
