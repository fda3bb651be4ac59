"""Replies by mail through a real SMTP server and the real listener, on PostgreSQL and
SQLite: an agent's reply over gRPC goes out once (the sender role's loop, a restart sends
nothing again), threaded; the customer answers it in their mail client (In-Reply-To its
Message-ID) and the answer joins the case, moving it out of waiting on the customer. The
service's consumer keeps the copy of the customers' contacts from the customer service's
events (once each, an older one changing nothing newer), by which a mail's sender is
recognized; a stranger's mail lands flagged."""

from __future__ import annotations

import smtplib
import threading
import uuid
from collections.abc import Iterator
from email.message import EmailMessage

import pytest
from crm_platform.consumer import EventConsumer
from crm_platform.mail import SmtpMailer
from crm_platform.testing.processes import free_port, wait_until
from crm_platform.testing.tokens import staff_token
from crm_proto.crm.common.v1 import common_pb2
from crm_proto.crm.customer.v1 import customer_pb2
from crm_proto.crm.customer.v1 import events_pb2 as customer_events
from crm_proto.crm.service.v1 import cases_pb2 as C
from crm_proto.crm.service.v1 import cases_pb2_grpc
from crm_service.domain.outbound import MailStatus
from crm_service.entrypoints.consumer import HANDLERS
from crm_service.entrypoints.mail_listener import run_listener
from crm_service.entrypoints.mail_sender import run_sender
from crm_service.service_layer.cases import CaseHandlers
from crm_service.service_layer.mail import MailHandlers
from crm_service.service_layer.outbound import MailSender
from sqlalchemy import Engine

from tests.analytics.integration.harness import EventPublisher
from tests.marketing.integration.smtp_server import Mailbox, smtp_server
from tests.service.integration.conftest import KnownContacts, unit_of_work
from tests.service.integration.test_cases_grpc import call

pytestmark = pytest.mark.integration

AGENT = staff_token("service_agent", subject="agent-1")
STAFF = common_pb2.Actor(subject="admin-1", kind=common_pb2.ACTOR_KIND_STAFF)
SUPPORT = "Guanxi support <support@guanxi.example>"
WAIT = 15.0


@pytest.fixture
def outbox_smtp() -> Iterator[tuple[str, Mailbox]]:
    with smtp_server() as server:
        yield server


@pytest.fixture
def listener(engine: Engine) -> Iterator[int]:
    uow = unit_of_work(engine)
    mail = MailHandlers(uow, CaseHandlers(uow, KnownContacts()), attachment_max_bytes=4096)
    port, stop = free_port(), threading.Event()
    thread = threading.Thread(
        target=run_listener, args=(mail,),
        kwargs={"host": "127.0.0.1", "port": port, "max_bytes": 1 << 20, "stop": stop},
    )  # fmt: skip
    thread.start()
    yield port
    stop.set()
    thread.join(timeout=10)


def running_sender(engine: Engine, url: str) -> tuple[threading.Event, threading.Thread]:
    sender = MailSender(unit_of_work(engine), SmtpMailer(url, SUPPORT))
    stop = threading.Event()
    thread = threading.Thread(target=run_sender, args=(sender, stop))
    thread.start()
    return stop, thread


def send(port: int, message: EmailMessage) -> None:
    def sent() -> bool:
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=5) as client:
                client.send_message(message)
            return True
        except OSError:
            return False  # the listener is not up yet

    wait_until(sent, timeout=WAIT, what="the SMTP listener")


def test_a_reply_is_mailed_once_and_the_customers_answer_threads_back(
    engine: Engine,
    stub: cases_pb2_grpc.CaseServiceStub,
    outbox_smtp: tuple[str, Mailbox],
    listener: int,
) -> None:
    url, mailbox = outbox_smtp
    first = EmailMessage()
    first["From"], first["To"], first["Subject"] = "qian@example.cn", "support@x", "Sofa torn"
    first["Message-ID"] = "<q1@example.cn>"
    first.set_content("The seat is torn.")
    send(listener, first)
    (case,) = call(stub.ListCases, C.ListCasesRequest(), AGENT).cases
    case = call(stub.AssignCase, C.AssignCaseRequest(id=case.id, owner_id="agent-1"), AGENT)
    case = call(stub.StartCase, C.CaseStepRequest(id=case.id), AGENT)
    case = call(stub.AddCaseMessage, C.AddCaseMessageRequest(
        id=case.id, body="Could you send a photo?"), AGENT)  # fmt: skip
    call(stub.AddCaseMessage, C.AddCaseMessageRequest(
        id=case.id, body="Probably transport", internal=True), AGENT)  # fmt: skip
    call(stub.WaitOnCustomer, C.CaseStepRequest(id=case.id), AGENT)

    stop, thread = running_sender(engine, url)
    wait_until(lambda: len(mailbox.received()) == 1, timeout=WAIT, what="the reply sent")
    stop.set()
    thread.join(timeout=10)
    stop, thread = running_sender(engine, url)  # restarted: nothing is sent again
    with unit_of_work(engine)() as uow:
        (queued,) = uow.outbound.of_case(uuid.UUID(case.id))
    stop.set()
    thread.join(timeout=10)
    assert queued.status is MailStatus.SENT
    (reply,) = mailbox.received()
    assert (reply["To"], reply["Subject"], reply.get_content().strip()) == (
        "qian@example.cn", f"Re: [#{case.reference}] Sofa torn", "Could you send a photo?",
    )  # fmt: skip
    assert (reply["In-Reply-To"], reply["References"]) == ("<q1@example.cn>", "<q1@example.cn>")

    answer = EmailMessage()  # as a mail client answers: a new subject, the thread's headers
    answer["From"], answer["To"], answer["Subject"] = "qian@example.cn", "support@x", "photo"
    answer["Message-ID"], answer["In-Reply-To"] = "<q2@example.cn>", reply["Message-ID"]
    answer.set_content("Here it is.")
    send(listener, answer)

    case = call(stub.GetCase, C.GetCaseRequest(id=case.id), AGENT)
    assert case.status == C.CASE_STATUS_IN_PROGRESS
    assert [m.body for m in case.messages] == [
        "The seat is torn.",
        "Could you send a photo?",
        "Probably transport",
        "Here it is.",
    ]


def test_the_contact_copy_recognizes_a_mails_sender(
    engine: Engine, amqp_url: str, stub: cases_pb2_grpc.CaseServiceStub, listener: int
) -> None:
    publisher = EventPublisher(amqp_url, HANDLERS.subscription, source="customer")
    consumer = EventConsumer(amqp_url, HANDLERS.subscription, HANDLERS.handlers,
                             unit_of_work(engine))  # fmt: skip
    stop = threading.Event()
    thread = threading.Thread(target=consumer.run, args=(stop,), daemon=True)
    thread.start()
    try:
        customer_id = str(uuid.uuid4())
        person = customer_pb2.Customer(id=customer_id, name="Wang Fang", email="wang@acme.cn",
                                       phone="+8613800138000", birth_date="1990-05-04",
                                       owner_id=str(uuid.uuid4()), version=1)  # fmt: skip
        registered = publisher.publish(
            customer_events.CustomerRegistered(customer=person, version=1, actor=STAFF),
            subject=customer_id,
        )
        publisher.publish_envelope(registered)  # redelivered
        publisher.publish(
            customer_events.CustomerBlacklisted(customer_id=customer_id, reason="fraud",
                                                version=2, actor=STAFF),
            subject=customer_id,
        )  # fmt: skip
        publisher.publish_envelope(registered)  # late: the blacklisting stays

        def copied() -> bool:
            with unit_of_work(engine)() as uow:
                found = uow.contacts.get(uuid.UUID(customer_id))
            return found is not None and found.version == 2

        wait_until(copied, timeout=WAIT, what="the blacklisting in the copy")
    finally:
        stop.set()
        thread.join(timeout=20)
        publisher.close()
    with unit_of_work(engine)() as uow:
        found = uow.contacts.by_phone("+8613800138000")
    assert found is not None
    assert (found.blacklisted, str(found.birth_date)) == (True, "1990-05-04")

    for sender in ("Wang@Acme.cn", "stranger@example.cn"):
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = sender, "support@x", f"From {sender}"
        mail.set_content("Hello")
        send(listener, mail)
    cases = {c.contact_email: c for c in call(stub.ListCases, C.ListCasesRequest(), AGENT).cases}
    known, stranger = cases["wang@acme.cn"], cases["stranger@example.cn"]
    assert (known.recognition, known.customer_id) == (
        C.CUSTOMER_RECOGNITION_BLACKLISTED, customer_id,
    )  # fmt: skip
    assert [m.unknown_sender for m in known.messages] == [False]
    assert (stranger.recognition, [m.unknown_sender for m in stranger.messages]) == (
        C.CUSTOMER_RECOGNITION_NEW, [True],
    )  # fmt: skip
