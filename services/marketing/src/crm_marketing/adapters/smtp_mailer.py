"""Campaign e-mail over SMTP (`CRM_SMTP_URL`): one connection per message, a deadline on
each. 4xx answers and an unreachable server are temporary failures, 5xx permanent."""

from __future__ import annotations

import smtplib
from email import policy
from email.message import EmailMessage
from email.utils import formatdate
from urllib.parse import unquote, urlsplit

from crm_marketing.service_layer.sending import (
    Outgoing,
    PermanentFailure,
    TemporaryFailure,
    Unsendable,
)

TIMEOUT = 30.0  # seconds, per SMTP command
# Lines up to RFC 5322's limit: a List-Unsubscribe header holds long URLs, and folding one
# that has no space would encode it (=?utf-8?q?...?=), which a structured header may not be.
MESSAGE_POLICY = policy.SMTP.clone(max_line_length=998)


class SmtpMailer:
    def __init__(self, url: str, mail_from: str) -> None:
        parts = urlsplit(url)
        self.host = parts.hostname or "127.0.0.1"
        self.tls = parts.scheme == "smtps"
        self.port = parts.port or (465 if self.tls else 25)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.mail_from = mail_from

    def send(self, message: Outgoing) -> None:
        try:
            email = build_message(message, self.mail_from)
        except ValueError as error:  # a header with a line break, among others
            raise Unsendable(f"the message cannot be made: {error}") from None
        connect = smtplib.SMTP_SSL if self.tls else smtplib.SMTP
        try:
            with connect(self.host, self.port, timeout=TIMEOUT) as client:
                if self.username and self.password:
                    client.login(self.username, self.password)
                client.send_message(email)
        except smtplib.SMTPRecipientsRefused as refused:
            code, answer = next(iter(refused.recipients.values()))
            raise _failure(code, answer) from None
        except smtplib.SMTPResponseException as error:
            raise _failure(error.smtp_code, error.smtp_error) from None
        except (smtplib.SMTPException, OSError) as error:
            raise TemporaryFailure(f"SMTP server unreachable: {error}") from None


def _failure(code: int, answer: bytes | str) -> Exception:
    text = answer.decode(errors="replace") if isinstance(answer, bytes) else answer
    described = f"{code} {text}"
    return PermanentFailure(described) if 500 <= code < 600 else TemporaryFailure(described)


def build_message(message: Outgoing, mail_from: str) -> EmailMessage:
    email = EmailMessage(policy=MESSAGE_POLICY)
    email["From"] = mail_from
    email["To"] = message.to
    email["Subject"] = message.subject
    email["Date"] = formatdate(usegmt=True)
    email["Message-ID"] = message.message_id
    for name, value in message.headers.items():
        email[name] = value
    email.set_content(message.text_body or " ")
    if message.html_body:
        email.add_alternative(message.html_body, subtype="html")
    return email
