"""Mail to case: a mail to the support address opens a case (channel email, the sender its
contact, recognized by the service's copy of the customers' contacts: the listener has no
caller whose token could ask the customer service) or, when it answers one (the case's
reference in the subject, or a Message-ID of its thread in In-Reply-To or References), is
added to it as the customer's reply. A mail from another address, or from an address no
customer has, still lands in the thread, flagged. An attachment over the size limit refuses
the whole mail: nothing changes, and the sender's server reports it."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from crm_platform.errors import FieldViolation, ValidationFailed

from crm_service.domain.cases import (
    SUBJECT_MAX_LENGTH,
    TEXT_MAX_LENGTH,
    Attachment,
    Case,
    CaseChannel,
    CaseDetails,
    CasePriority,
    CaseStatus,
    CaseType,
    Contact,
    Recognized,
)
from crm_service.domain.values import Actor, ActorKind
from crm_service.service_layer import contacts
from crm_service.service_layer.cases import CaseHandlers
from crm_service.service_layer.ports import UnitOfWork

REFERENCE = re.compile(r"\[#(CS-[0-9A-F]{8})\]", re.IGNORECASE)
MAIL_LISTENER = Actor(subject="service-mail", kind=ActorKind.SERVICE)


class _NoCustomers:
    """The listener's CaseHandlers open cases only through `open_in`, recognized already."""

    def recognize(self, contact: Contact) -> Recognized:
        raise NotImplementedError("mail is recognized by MailHandlers")


NO_CUSTOMERS = _NoCustomers()


@dataclass(frozen=True)
class InboundMail:
    sender: str
    subject: str
    body: str
    mail_id: str  # its Message-ID
    replying_to: tuple[str, ...]  # In-Reply-To and References
    attachments: tuple[Attachment, ...] = ()


class MailHandlers:
    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        cases: CaseHandlers,
        *,
        attachment_max_bytes: int,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.uow_factory = uow_factory
        self.cases = cases
        self.attachment_max_bytes = attachment_max_bytes
        self.clock = clock

    def receive(self, mail: InboundMail) -> Case:
        too_big = [a.filename for a in mail.attachments if a.size > self.attachment_max_bytes]
        if too_big:
            raise ValidationFailed(
                FieldViolation(
                    "attachments",
                    f"{', '.join(too_big)}: over {self.attachment_max_bytes} bytes each",
                )
            )
        contact = Contact(email=mail.sender).checked()
        with self.uow_factory() as uow:
            recognized = contacts.by_email(uow, contact.email)
            case = _thread_of(uow, mail)
            if case is None or case.status is CaseStatus.CLOSED:
                case = self._open(uow, mail, contact, recognized)
            case.add_mail(
                self.clock(),
                message_id=uuid.uuid4(),
                sender=contact.email,
                body=mail.body,
                mail_id=mail.mail_id,
                attachments=mail.attachments,
                known_customer=recognized.customer_id is not None,
            )
            uow.cases.save(case)
            uow.commit()
        return case

    def _open(
        self, uow: UnitOfWork, mail: InboundMail, contact: Contact, recognized: Recognized
    ) -> Case:
        subject = " ".join(REFERENCE.sub("", mail.subject).split())[:SUBJECT_MAX_LENGTH]
        details = CaseDetails(
            type=CaseType.INQUIRY,
            priority=CasePriority.NORMAL,
            subject=subject or "(no subject)",
            description=mail.body[:TEXT_MAX_LENGTH],
        )
        return self.cases.open_in(
            uow,
            MAIL_LISTENER,
            details=details,
            channel=CaseChannel.EMAIL,
            contact=contact,
            recognized=recognized,
        )


def _thread_of(uow: UnitOfWork, mail: InboundMail) -> Case | None:
    match = REFERENCE.search(mail.subject)
    if match is not None:
        case = uow.cases.find_by_reference(match.group(1).upper())
        if case is not None:
            return case
    return uow.cases.find_by_mail(list(mail.replying_to))
