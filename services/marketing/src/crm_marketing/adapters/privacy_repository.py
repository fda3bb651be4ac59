"""What marketing keeps about a customer, for the export and the erasure (crm_platform.privacy):
the contact copy (profile and consents), the campaign messages sent to them, their bounced
addresses and their price tier. Erasure blanks the contact's addresses (so no campaign can
reach them again, and none counts them as reachable) and replaces the names; the consents,
the campaigns' delivery states and counts stay."""

from __future__ import annotations

from crm_platform.privacy import PersonalTable, SqlPersonalRecords
from sqlalchemy.orm import Session

from crm_marketing.adapters.orm import (
    campaign_recipients,
    contacts,
    customer_tiers,
    invalid_addresses,
)

PERSONAL_TABLES = (
    PersonalTable(
        "contact",
        contacts,
        cleared={"email": None},
        documents={"document": ("profile.name",)},
        blanked={"document": ("profile.email", "profile.phone", "profile.city")},
    ),
    PersonalTable(
        "campaign_messages",
        campaign_recipients,
        texts=("email",),
        documents={"document": ("name", "city")},
    ),
    # nothing but the address that bounced: it goes
    PersonalTable("bounced_addresses", invalid_addresses, deleted=True),
    PersonalTable("price_tier", customer_tiers),
)


def personal_records(session: Session) -> SqlPersonalRecords:
    return SqlPersonalRecords(session, PERSONAL_TABLES)
