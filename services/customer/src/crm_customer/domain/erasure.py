"""Erasure (privacy): a customer's personal data anonymized here and in every service that
keeps some, each confirming when it is done.

Rules:
- A record is erased once; a second erasure is a FailedPrecondition (the first one stands).
- A record merged into another is not erased alone: its survivor holds what was merged, and
  erasing the survivor erases the records merged into it with it.
- The record keeps its id, kind, dates, blacklist flag, tags, owner and partner, and the
  consent answers with their dates (the history the law asks to keep); names, contact
  details, the city, birth date, gender, preferences and free text become `ERASED` or empty.
- The erasure waits for a confirmation from each service that keeps personal data (the
  registry's list when it began, this service included); it is complete once each one has
  confirmed, and a service's second confirmation changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from uuid import UUID

from crm_platform.errors import FailedPrecondition
from crm_platform.privacy import ERASED, erased

from crm_customer.domain.events import CustomerErased
from crm_customer.domain.model import Customer
from crm_customer.domain.values import Actor, Profile

SERVICE = "customer"  # this service's own confirmation


def anonymized_profile(profile: Profile) -> Profile:
    return replace(
        profile,
        name=ERASED,
        email=None,
        phone=None,
        city=None,
        birth_date=None,
        gender=None,
        preferences={},
    )


@dataclass
class Erasure:
    id: UUID
    customer_id: UUID
    requested_at: datetime
    requested_by: Actor
    expected: tuple[str, ...]  # the services whose confirmation it waits for
    confirmations: dict[str, datetime] = field(default_factory=dict)
    events: list[CustomerErased] = field(default_factory=list, compare=False, repr=False)

    def pull_events(self) -> list[CustomerErased]:
        pulled, self.events = self.events, []
        return pulled

    def confirm(self, service: str, at: datetime) -> bool:
        """Record `service`'s confirmation; False when it had confirmed already."""
        if service in self.confirmations:
            return False
        self.confirmations[service] = at
        return True

    @property
    def pending(self) -> tuple[str, ...]:
        return tuple(name for name in self.expected if name not in self.confirmations)

    @property
    def complete(self) -> bool:
        return not self.pending

    @property
    def completed_at(self) -> datetime | None:
        if not self.complete:
            return None
        return max((self.confirmations[name] for name in self.expected), default=None)


def erase(
    customer: Customer,
    merged_into_it: list[Customer],
    *,
    erasure_id: UUID,
    expected: tuple[str, ...],
    actor: Actor,
    now: datetime,
) -> Erasure:
    """Anonymize `customer` and the records merged into it; the erasure, confirmed by this
    service, records CustomerErased. The caller checks it was not erased before."""
    if customer.merged_into_id is not None:
        raise FailedPrecondition(
            f"customer {customer.id} was merged into {customer.merged_into_id}: erase that one"
        )
    for record in (customer, *merged_into_it):
        record.profile = anonymized_profile(record.profile)
        record.blacklist_reason = erased(record.blacklist_reason)
        record.version += 1
        record.updated_at = now
    erasure = Erasure(erasure_id, customer.id, now, actor, expected)
    erasure.confirm(SERVICE, now)
    erasure.events.append(CustomerErased(customer.id, erasure_id, now, customer.version))
    return erasure
