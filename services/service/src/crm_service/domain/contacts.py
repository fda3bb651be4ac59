"""The service's copy of the customers' contact details, kept from the customer service's
events: whom a mail or a call comes from (the mail and call channels have no caller whose
token could ask the customer service), and the birthdays, customer-since dates and owners of
the care job. Each record keeps the customer version it was set at, so a late event changes
nothing newer. Pure Python."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from crm_service.domain.cases import CustomerRecognition, Recognized


@dataclass(frozen=True)
class CustomerContact:
    customer_id: UUID
    name: str
    email: str  # lowercase; "": none
    phone: str  # E.164; "": none
    birth_date: date | None
    owner_id: str | None
    customer_since: datetime
    blacklisted: bool
    merged_into_id: UUID | None
    version: int

    @property
    def recognized(self) -> Recognized:
        """Who a contact with these details is (a merged record: its survivor)."""
        recognition = (
            CustomerRecognition.BLACKLISTED if self.blacklisted else CustomerRecognition.RETURNING
        )
        return Recognized(recognition, self.merged_into_id or self.customer_id)


UNKNOWN = Recognized(CustomerRecognition.NEW, None)


def phone_key(phone: str) -> str:
    """A number as the customer service stores it (E.164: + and digits), from what a caller
    or a telephony system writes ("+86 138-0013 8000")."""
    digits = "".join(c for c in phone if c.isdigit())
    return ("+" + digits) if digits else ""
