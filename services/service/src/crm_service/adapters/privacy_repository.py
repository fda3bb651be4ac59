"""What the service keeps about a customer, for the export and the erasure
(crm_platform.privacy): their cases with the conversation, attachments and mail sent to them,
their agreements and suggestions, and the copy of their contact details. Erasure replaces what
the customer wrote and the contact details, and deletes the files they sent; references,
states, priorities, times and SLA figures stay, so the service's statistics stay whole."""

from __future__ import annotations

from uuid import UUID

import sqlalchemy as sa
from crm_platform.privacy import PersonalTable, SqlPersonalRecords
from sqlalchemy.orm import Session

from crm_service.adapters.orm import (
    agreements,
    case_attachments,
    case_messages,
    cases,
    customer_contacts,
    outbound_mail,
    suggestions,
)


def _cases_of(customer_id: UUID) -> sa.Select[tuple[UUID]]:
    return sa.select(cases.c.id).where(cases.c.customer_id == customer_id)


def _messages_of(customer_id: UUID) -> sa.Select[tuple[UUID]]:
    return sa.select(case_messages.c.id).where(case_messages.c.case_id.in_(_cases_of(customer_id)))


PERSONAL_TABLES = (
    PersonalTable(
        "cases",
        cases,
        texts=("subject", "description"),
        cleared={"contact_email": "", "contact_phone": ""},
        version="version",
    ),
    PersonalTable(
        "case_messages",
        case_messages,
        texts=("body",),
        rows=lambda customer_id: case_messages.c.case_id.in_(_cases_of(customer_id)),
    ),
    # the files themselves are the customer's to take with them and to have deleted
    PersonalTable(
        "case_attachments",
        case_attachments,
        deleted=True,
        withheld=("data",),
        rows=lambda customer_id: case_attachments.c.message_id.in_(_messages_of(customer_id)),
    ),
    PersonalTable(
        "mail_sent",
        outbound_mail,
        texts=("subject", "body"),
        cleared={"recipient": ""},
        rows=lambda customer_id: outbound_mail.c.case_id.in_(_cases_of(customer_id)),
    ),
    PersonalTable("agreements", agreements),
    PersonalTable("suggestions", suggestions),
    PersonalTable(
        "contact",
        customer_contacts,
        texts=("name",),
        cleared={"email": "", "phone": "", "birth_date": None},
        version="version",
    ),
)


def personal_records(session: Session) -> SqlPersonalRecords:
    return SqlPersonalRecords(session, PERSONAL_TABLES)
