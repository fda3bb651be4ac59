"""Replies by mail on fakes: an agent's reply the customer sees is queued with the change,
threaded (its Message-ID the message's, the reference in the subject, In-Reply-To the
customer's last mail, References the thread); an internal note, a customer's own message and
a contact without an address queue nothing. The sender: sent once; a temporary failure is
tried again after a backoff, then fails; a permanent one fails at once; a claim a stopped
sender left is given up, never sent again."""

from __future__ import annotations

from datetime import timedelta
from itertools import count
from uuid import UUID

import pytest
from crm_platform.mail import Outgoing, PermanentFailure, TemporaryFailure
from crm_service.domain.cases import CaseDetails, CasePriority, CaseType, Contact
from crm_service.domain.outbound import MailStatus
from crm_service.service_layer.cases import CaseHandlers
from crm_service.service_layer.mail import InboundMail, MailHandlers
from crm_service.service_layer.outbound import MailSender, Outbound, SendPolicy, outgoing

from tests.service.unit.fakes import (
    AGENT,
    CUSTOMER,
    Clock,
    FakeCustomers,
    FakeStore,
    FakeUnitOfWork,
)


class FakeMailer:
    def __init__(self) -> None:
        self.sent: list[Outgoing] = []
        self.failures: list[Exception] = []

    def send(self, message: Outgoing) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(message)


@pytest.fixture
def store() -> FakeStore:
    return FakeStore()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def cases(store: FakeStore, clock: Clock) -> CaseHandlers:
    numbers = count(1)
    return CaseHandlers(
        lambda: FakeUnitOfWork(store), FakeCustomers(), clock=clock,
        outbound=Outbound(lambda: f"<reply-{next(numbers)}@support.example>"),
    )  # fmt: skip


def open_case(cases: CaseHandlers, email: str = "qian@example.cn") -> UUID:
    details = CaseDetails(CaseType.INQUIRY, CasePriority.NORMAL, "Sofa scratched")
    case = cases.open(AGENT, details=details, channel=None, contact=Contact(email=email))
    cases.assign(AGENT, case.id, 0, AGENT.subject)
    return case.id


def test_a_reply_is_queued_threaded_with_the_customers_mail(
    store: FakeStore, cases: CaseHandlers, clock: Clock
) -> None:
    uow = lambda: FakeUnitOfWork(store)  # noqa: E731
    mail = MailHandlers(uow, cases, attachment_max_bytes=100, clock=clock)
    case = mail.receive(InboundMail("qian@example.cn", "Sofa scratched", "Armrest.", "<q1@x>", ()))

    replied = cases.add_message(AGENT, case.id, 0, body="We send a fitter", internal=False)
    cases.add_message(AGENT, case.id, 0, body="Fitter booked", internal=True)

    (queued,) = store.mail.values()
    assert (queued.to, queued.subject, queued.body, queued.status) == (
        "qian@example.cn", f"Re: [#{case.reference}] Sofa scratched", "We send a fitter",
        MailStatus.QUEUED,
    )  # fmt: skip
    assert (queued.mail_id, queued.in_reply_to, queued.references) == (
        "<reply-1@support.example>", "<q1@x>", ("<q1@x>",),
    )  # fmt: skip
    assert replied.messages[-1].mail_id == queued.mail_id  # the customer's answer finds it
    headers = outgoing(queued).headers
    assert (headers["In-Reply-To"], headers["References"]) == ("<q1@x>", "<q1@x>")


def test_no_mail_for_a_note_a_customers_message_or_a_contact_without_an_address(
    store: FakeStore, cases: CaseHandlers
) -> None:
    by_phone = CaseDetails(CaseType.INQUIRY, CasePriority.NORMAL, "Call me")
    phoned = cases.open(AGENT, details=by_phone, channel=None, contact=Contact(phone="+861380"))
    cases.add_message(AGENT, phoned.id, 0, body="Called back", internal=False)
    portal = cases.open(
        CUSTOMER, details=by_phone, channel=None, contact=Contact(email="me@example.cn")
    )
    cases.add_message(CUSTOMER, portal.id, 0, body="Any news?", internal=False)
    assert store.mail == {}


def sender(store: FakeStore, mailer: FakeMailer, clock: Clock) -> MailSender:
    policy = SendPolicy(max_attempts=2, backoff=timedelta(minutes=1))
    return MailSender(lambda: FakeUnitOfWork(store), mailer, policy, clock)


def test_the_sender_sends_once_and_retries_a_temporary_failure(
    store: FakeStore, cases: CaseHandlers, clock: Clock
) -> None:
    case_id = open_case(cases)
    cases.add_message(AGENT, case_id, 0, body="First", internal=False)
    mailer = FakeMailer()
    mailer.failures = [TemporaryFailure("451 later"), TemporaryFailure("451 later")]
    sending = sender(store, mailer, clock)

    assert sending.send_next() is True
    (mail,) = store.mail.values()
    assert (mail.status, mail.attempts, mail.last_error) == (MailStatus.QUEUED, 1, "451 later")
    assert sending.send_next() is False  # not due before its backoff
    clock.now += timedelta(minutes=1)
    assert sending.send_next() is True
    (mail,) = store.mail.values()
    assert mail.status is MailStatus.FAILED  # two attempts, both temporary failures
    assert mailer.sent == []

    cases.add_message(AGENT, case_id, 0, body="Second", internal=False)
    assert sending.send_next() is True
    assert sending.send_next() is False
    assert [m.text_body for m in mailer.sent] == ["Second"]


def test_a_permanent_failure_fails_and_a_stale_claim_is_never_sent_again(
    store: FakeStore, cases: CaseHandlers, clock: Clock
) -> None:
    case_id = open_case(cases)
    cases.add_message(AGENT, case_id, 0, body="Refused", internal=False)
    mailer = FakeMailer()
    mailer.failures = [PermanentFailure("550 no such user")]
    sending = sender(store, mailer, clock)
    assert sending.send_next() is True
    assert [m.status for m in store.mail.values()] == [MailStatus.FAILED]

    cases.add_message(AGENT, case_id, 0, body="Lost", internal=False)
    with FakeUnitOfWork(store) as uow:  # a sender claimed it, then stopped
        (claimed,) = uow.outbound.due(clock.now, 1)
        claimed.claim(clock.now)
        uow.outbound.save(claimed)
    clock.now += SendPolicy().lease + timedelta(seconds=1)
    assert sending.give_up_stale_claims() == 1
    assert sending.send_next() is False
    assert mailer.sent == []
    statuses = sorted(m.status for m in store.mail.values())
    assert statuses == [MailStatus.FAILED, MailStatus.UNCONFIRMED]
