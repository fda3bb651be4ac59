"""What analytics keeps about a customer, for the export and the erasure (crm_platform.privacy):
the customer's facts, tags, consents, orders, payments, interactions, value and segment
memberships. Erasure empties the facts that say who and where the person is (city, birth date,
gender); the region, dates, amounts, states and counts stay, so the statistics stay whole."""

from __future__ import annotations

from crm_platform.privacy import PersonalTable, SqlPersonalRecords
from sqlalchemy.orm import Session

from crm_analytics.adapters.orm import (
    customer_consents,
    customer_facts,
    customer_tags,
    customer_value,
    interactions,
    orders,
    payments,
    segment_members,
)

PERSONAL_TABLES = (
    PersonalTable(
        "customer",
        customer_facts,
        cleared={"city": None, "birth_date": None, "gender": None},
    ),
    PersonalTable("tags", customer_tags),
    PersonalTable("consents", customer_consents),
    PersonalTable("orders", orders),
    PersonalTable("payments", payments),
    PersonalTable("interactions", interactions),
    PersonalTable("value", customer_value),
    PersonalTable("segment_memberships", segment_members),
)


def personal_records(session: Session) -> SqlPersonalRecords:
    return SqlPersonalRecords(session, PERSONAL_TABLES)
