"""What sales keeps about a customer, for the export and the erasure (crm_platform.privacy):
their orders, leads, opportunities, activities and quotes. Erasure replaces the contact
details and what the customer said or was noted about them; ids, amounts, dates, states,
titles and the workflow's history (its steps, not its notes) stay, so the books and the
pipeline's figures stay whole. A lead nobody linked to the customer is not theirs to find."""

from __future__ import annotations

from crm_platform.privacy import PersonalTable, SqlPersonalRecords
from sqlalchemy.orm import Session

from crm_sales.adapters.orm import activities, leads, opportunities, orders, quotes

PERSONAL_TABLES = (
    PersonalTable(
        "orders",
        orders,
        documents={"document": ("description", "proposal", "cancel_reason", "history.note")},
        version="version",
    ),
    PersonalTable(
        "leads",
        leads,
        # the dedupe keys stop matching anyone's contact details
        cleared={"email_key": "", "phone_key": ""},
        documents={
            "document": (
                "contact.name", "contact.email", "contact.phone", "contact.city", "notes",
            )
        },
        version="version",
    ),
    PersonalTable(
        "opportunities",
        opportunities,
        documents={"document": ("email", "phone", "contacts.name", "contacts.email",
                                "contacts.phone")},
        version="version",
    ),
    PersonalTable(
        "activities",
        activities,
        documents={"document": ("notes", "outcome_note")},
        version="version",
    ),
    PersonalTable(
        "quotes", quotes, documents={"document": ("customer_reason",)}, version="version"
    ),
)  # fmt: skip


def personal_records(session: Session) -> SqlPersonalRecords:
    return SqlPersonalRecords(session, PERSONAL_TABLES)
