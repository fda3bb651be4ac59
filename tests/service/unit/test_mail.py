"""Mail to case on fakes: a mail parsed (sender, text, Message-IDs, attachments); a new one
opens a case on the email channel, recognized by the copy of the customers' contacts (a
stranger's flagged); a reply by reference or In-Reply-To joins its case and moves it out of
waiting; another sender is flagged;
a closed case's reply opens a new case; an attachment over the limit changes nothing."""

from __future__ import annotations

from dataclasses import replace
from email.message import EmailMessage

import pytest
from crm_platform.errors import ValidationFailed
from crm_service.adapters.mail_parsing import parse_mail
from crm_service.domain.cases import CaseChannel, CaseStatus, CustomerRecognition
from crm_service.domain.contacts import CustomerContact
from crm_service.service_layer.cases import CaseHandlers
from crm_service.service_layer.mail import InboundMail, MailHandlers

from tests.service.unit.fakes import (
    AGENT,
    CUSTOMER_ID,
    NOW,
    Clock,
    FakeCustomers,
    FakeStore,
    FakeUnitOfWork,
)


@pytest.fixture
def store() -> FakeStore:
    return FakeStore()


@pytest.fixture
def handlers(store: FakeStore) -> MailHandlers:
    def uow() -> FakeUnitOfWork:
        return FakeUnitOfWork(store)

    cases = CaseHandlers(uow, FakeCustomers(), clock=Clock())
    return MailHandlers(uow, cases, attachment_max_bytes=10, clock=Clock())


def contact(email: str) -> CustomerContact:
    return CustomerContact(
        customer_id=CUSTOMER_ID, name="Qian Li", email=email, phone="+8613800138000",
        birth_date=None, owner_id=None, customer_since=NOW, blacklisted=False,
        merged_into_id=None, version=1,
    )  # fmt: skip


def inbound(sender: str, subject: str, body: str, mail_id: str, *replying_to: str) -> InboundMail:
    return InboundMail(sender, subject, body, mail_id, replying_to)


def test_a_mail_is_parsed_into_what_the_service_layer_takes() -> None:
    message = EmailMessage()
    message["From"] = "Qian Li <qian@example.cn>"
    message["Subject"] = "Re: [#CS-1A2B3C4D] Sofa"
    message["Message-ID"] = "<r1@example.cn>"
    message["In-Reply-To"] = "<first@example.cn>"
    message["References"] = "<first@example.cn> <r0@example.cn>"
    message.set_content("See the photo.")
    message.add_attachment(b"12345", maintype="image", subtype="png", filename="a.png")

    mail = parse_mail(message.as_bytes(), "bounce@example.cn")

    assert (mail.sender, mail.subject, mail.body.strip(), mail.mail_id) == (
        "qian@example.cn", "Re: [#CS-1A2B3C4D] Sofa", "See the photo.", "<r1@example.cn>",
    )  # fmt: skip
    assert mail.replying_to == ("<first@example.cn>", "<first@example.cn>", "<r0@example.cn>")
    (attachment,) = mail.attachments
    assert (attachment.filename, attachment.content_type, attachment.size) == (
        "a.png", "image/png", 5,
    )  # fmt: skip


def test_a_new_mail_opens_a_case_and_replies_join_it(
    handlers: MailHandlers, store: FakeStore
) -> None:
    store.contacts[CUSTOMER_ID] = contact("qian@example.cn")
    case = handlers.receive(inbound("Qian@Example.cn", "Sofa scratched", "Armrest.", "<m1@x>"))
    assert (case.channel, case.contact.email, case.recognition, case.customer_id) == (
        CaseChannel.EMAIL, "qian@example.cn", CustomerRecognition.RETURNING, CUSTOMER_ID,
    )  # fmt: skip
    stored = store.cases[case.id]
    stored.owner_id, stored.status = AGENT.subject, CaseStatus.WAITING_ON_CUSTOMER

    handlers.receive(inbound("qian@example.cn", f"Re: [#{case.reference}]", "Photo.", "<m2@x>"))
    handlers.receive(inbound("qian@example.cn", "Re: Sofa", "Receipt.", "<m3@x>", "<m1@x>"))
    handlers.receive(inbound("other@example.cn", f"[#{case.reference}]", "Me too.", "<m4@x>"))

    thread = store.cases[case.id]
    assert [(m.body, m.unknown_sender) for m in thread.messages] == [
        ("Armrest.", False), ("Photo.", False), ("Receipt.", False), ("Me too.", True),
    ]  # fmt: skip
    assert thread.status is CaseStatus.IN_PROGRESS  # the customer's reply resumed it
    assert len(store.cases) == 1


def test_a_mail_from_an_address_no_customer_has_opens_a_case_flagged(
    handlers: MailHandlers, store: FakeStore
) -> None:
    case = handlers.receive(inbound("stranger@example.cn", "Hello", "Who sells sofas?", "<s1@x>"))
    assert (case.recognition, case.customer_id) == (CustomerRecognition.NEW, None)
    assert [(m.body, m.unknown_sender) for m in store.cases[case.id].messages] == [
        ("Who sells sofas?", True)
    ]


def test_a_blacklisted_sender_is_recognized_as_such(
    handlers: MailHandlers, store: FakeStore
) -> None:
    store.contacts[CUSTOMER_ID] = replace(contact("qian@example.cn"), blacklisted=True)
    case = handlers.receive(inbound("qian@example.cn", "Again", "Refund!", "<b1@x>"))
    assert (case.recognition, case.customer_id) == (CustomerRecognition.BLACKLISTED, CUSTOMER_ID)


def test_a_reply_to_a_closed_case_opens_a_new_one_for_the_known_customer(
    handlers: MailHandlers, store: FakeStore
) -> None:
    case = handlers.receive(inbound("qian@example.cn", "Sofa", "Armrest.", "<m1@x>"))
    store.cases[case.id].status = CaseStatus.CLOSED
    store.contacts[CUSTOMER_ID] = contact("qian@example.cn")  # registered meanwhile

    again = handlers.receive(inbound("qian@example.cn", f"Re: [#{case.reference}]", "Hi", "<m2>"))

    assert again.id != case.id
    assert (again.customer_id, again.recognition) == (CUSTOMER_ID, CustomerRecognition.RETURNING)
    assert again.details.subject == "Re:"


def test_an_attachment_over_the_limit_or_a_bad_sender_changes_nothing(
    handlers: MailHandlers, store: FakeStore
) -> None:
    message = EmailMessage()
    message["From"], message["Subject"] = "qian@example.cn", "Invoice"
    message.set_content("Attached.")
    message.add_attachment(b"x" * 11, maintype="application", subtype="pdf", filename="i.pdf")
    with pytest.raises(ValidationFailed) as refused:
        handlers.receive(parse_mail(message.as_bytes(), ""))
    assert refused.value.violations[0].field == "attachments"
    with pytest.raises(ValidationFailed):
        handlers.receive(inbound("not an address", "Hi", "Text", "<m1@x>"))
    assert store.cases == {}
