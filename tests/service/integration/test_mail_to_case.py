"""Mail to case through a real SMTP listener (aiosmtpd) on PostgreSQL and SQLite: a new mail
opens a case on the email channel for the customer the contact copy knows, routed like any; a
reply (the reference in the subject, or In-Reply-To a mail of the thread) joins it as the
customer's, its attachments stored; a mail from another address lands in the thread flagged;
an attachment over the limit refuses the mail (550) and nothing changes."""

from __future__ import annotations

import smtplib
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage

import pytest
import sqlalchemy as sa
from crm_platform.testing.processes import free_port, wait_until
from crm_service.adapters.orm import case_attachments, cases
from crm_service.domain.cases import CaseChannel, CaseStatus, CustomerRecognition
from crm_service.domain.contacts import CustomerContact
from crm_service.entrypoints.mail_listener import run_listener
from crm_service.service_layer.cases import CaseHandlers
from crm_service.service_layer.mail import MailHandlers
from sqlalchemy import Engine

from tests.service.integration.conftest import KnownContacts, unit_of_work

pytestmark = pytest.mark.integration

SUPPORT = "support@guanxi.example"
LIMIT = 2048


@pytest.fixture
def smtp_port(engine: Engine) -> Iterator[int]:
    uow = unit_of_work(engine)
    mail = MailHandlers(uow, CaseHandlers(uow, KnownContacts()), attachment_max_bytes=LIMIT)
    port, stop = free_port(), threading.Event()
    listener = threading.Thread(
        target=run_listener,
        args=(mail,),
        kwargs={"host": "127.0.0.1", "port": port, "max_bytes": 1024 * 1024, "stop": stop},
    )
    listener.start()
    wait_until(lambda: _listening(port), timeout=10, what="the SMTP listener")
    yield port
    stop.set()
    listener.join(timeout=10)


def _listening(port: int) -> bool:
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=2) as client:
            return client.noop()[0] == 250
    except OSError:
        return False


def mail(
    sender: str, subject: str, body: str, *, mail_id: str, in_reply_to: str = ""
) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, SUPPORT, subject
    message["Message-ID"] = mail_id
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    message.set_content(body)
    return message


def send(port: int, message: EmailMessage) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.send_message(message)


def test_a_mail_opens_a_case_and_replies_join_it(smtp_port: int, engine: Engine) -> None:
    uow = unit_of_work(engine)
    customer_id = uuid.uuid4()
    with uow() as writing:  # as the consumer copies it from the customer service's events
        writing.contacts.put(
            CustomerContact(customer_id, "Qian Li", "qian@example.cn", "", None, None,
                            datetime.now(UTC), False, None, 1)
        )  # fmt: skip
        writing.commit()
    send(
        smtp_port,
        mail("Qian Li <Qian@Example.cn>", "Sofa arrived scratched", "See the armrest.",
             mail_id="<first@example.cn>"),
    )  # fmt: skip
    with uow() as reading:
        reference = reading.session.execute(sa.select(cases.c.reference)).scalar_one()
        case = reading.cases.find_by_reference(reference)
    assert case is not None
    assert (case.channel, case.status, case.contact.email) == (
        CaseChannel.EMAIL, CaseStatus.NEW, "qian@example.cn",
    )  # fmt: skip
    assert (case.details.subject, case.recognition, case.customer_id) == (
        "Sofa arrived scratched", CustomerRecognition.RETURNING, customer_id,
    )  # fmt: skip
    assert [message.body for message in case.messages] == ["See the armrest."]

    reply = mail("qian@example.cn", f"Re: [#{reference}] Sofa", "A photo.", mail_id="<r1@x>")
    reply.add_attachment(b"\x89PNG-not-really", maintype="image", subtype="png", filename="a.png")
    send(smtp_port, reply)
    send(
        smtp_port,
        mail("qian@example.cn", "Re: Sofa", "And the receipt.", mail_id="<r2@x>",
             in_reply_to="<first@example.cn>"),
    )  # fmt: skip
    send(
        smtp_port,
        mail("someone@else.cn", f"Re: [#{reference}]", "Me too!", mail_id="<r3@x>"),
    )

    with uow() as reading:
        thread = reading.cases.find_by_reference(reference)
        stored = reading.session.execute(sa.select(case_attachments.c.data)).scalars().all()
    assert thread is not None
    assert [(m.body, m.author.subject, m.unknown_sender) for m in thread.messages] == [
        ("See the armrest.", "qian@example.cn", False),
        ("A photo.", "qian@example.cn", False),
        ("And the receipt.", "qian@example.cn", False),
        ("Me too!", "someone@else.cn", True),
    ]
    attachment = thread.messages[1].attachments[0]
    assert (attachment.filename, attachment.content_type, attachment.size) == (
        "a.png", "image/png", len(b"\x89PNG-not-really"),
    )  # fmt: skip
    assert stored == [b"\x89PNG-not-really"]


def test_an_attachment_over_the_limit_refuses_the_mail(smtp_port: int, engine: Engine) -> None:
    big = mail("qian@example.cn", "Invoice", "Attached.", mail_id="<big@x>")
    big.add_attachment(b"x" * (LIMIT + 1), maintype="application", subtype="pdf", filename="i.pdf")
    with pytest.raises(smtplib.SMTPDataError) as refused:
        send(smtp_port, big)
    assert refused.value.smtp_code == 550
    assert b"attachments" in refused.value.smtp_error
    with unit_of_work(engine)() as reading:
        assert reading.session.execute(sa.select(sa.func.count()).select_from(cases)).scalar() == 0
