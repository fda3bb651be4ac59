"""Outgoing e-mail over SMTP (`CRM_SMTP_URL`), for every service that sends mail (marketing's
campaigns, service's replies and surveys): one connection per message, a deadline on each
command. 4xx answers and an unreachable server are temporary failures, 5xx permanent; a
message that cannot be made is neither (the address is not to blame)."""

from __future__ import annotations

import smtplib
from collections.abc import Mapping
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.utils import formatdate
from typing import Protocol
from urllib.parse import unquote, urlsplit

TIMEOUT = 30.0  # seconds, per SMTP command
# Lines up to RFC 5322's limit: a List-Unsubscribe header holds long URLs, and folding one
# that has no space would encode it (=?utf-8?q?...?=), which a structured header may not be.
MESSAGE_POLICY = policy.SMTP.clone(max_line_length=998)
DEFAULT_SMTP_URL = "smtp://127.0.0.1:2525"  # `make run`'s sink


class TemporaryFailure(Exception):
    """The message may go through later (an SMTP 4xx answer, the server away)."""


class PermanentFailure(Exception):
    """The message will never go through to this address (an SMTP 5xx answer)."""


class Unsendable(Exception):
    """This message cannot be made (a header with a line break): the address is not to
    blame."""


@dataclass(frozen=True)
class Outgoing:
    to: str
    subject: str
    html_body: str
    text_body: str
    message_id: str
    headers: Mapping[str, str] = field(default_factory=dict)


class Mailer(Protocol):
    def send(self, message: Outgoing) -> None:
        """Raises TemporaryFailure, PermanentFailure or Unsendable."""
        ...


def smtp_url_checked(value: str) -> str:
    """For a settings validator: ValueError unless an smtp:// or smtps:// URL with a host."""
    parts = urlsplit(value)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError("not an SMTP URL such as smtp://127.0.0.1:2525")
    return value


def domain_of(mail_from: str) -> str:
    """The domain of a From address ("Guanxi <support@example.com>"): the right-hand side of
    the Message-IDs a service makes."""
    return mail_from.rsplit("@", 1)[-1].strip("> ") or "localhost"


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
