"""Proactive care: on a customer's birthday and on the anniversary of their becoming a
customer, a care task for the customer's owner (and a CareDue that marketing may send a care
letter on), once per customer, occasion and year. Pure Python; dates passed in."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from uuid import UUID

from crm_service.domain.contacts import CustomerContact


class CareOccasion(StrEnum):
    BIRTHDAY = "birthday"
    ANNIVERSARY = "anniversary"  # of becoming a customer


@dataclass
class CareTask:
    id: UUID
    customer_id: UUID
    customer_name: str
    owner_id: str | None  # None: the customer has no owner; managers see it
    occasion: CareOccasion
    due_on: date
    years: int  # the age, or the years as a customer
    created_at: datetime
    _events: list[object] = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def make(
        cls,
        contact: CustomerContact,
        occasion: CareOccasion,
        day: date,
        *,
        id: UUID,
        now: datetime,
    ) -> CareTask:
        since = contact.birth_date if occasion is CareOccasion.BIRTHDAY else None
        start = since or contact.customer_since.date()
        task = cls(
            id=id,
            customer_id=contact.customer_id,
            customer_name=contact.name,
            owner_id=contact.owner_id,
            occasion=occasion,
            due_on=day,
            years=day.year - start.year,
            created_at=now,
        )
        task._events.append(CareDue(task.snapshot()))
        return task

    def snapshot(self) -> CareTask:
        return CareTask(**{**self.__dict__, "_events": []})

    def pull_events(self) -> list[object]:
        events, self._events = self._events, []
        return events


def falls_on(anniversary: date, day: date) -> bool:
    """Whether `day` is the anniversary of `anniversary` (29 February: the 28th in other
    years)."""
    if (anniversary.month, anniversary.day) == (day.month, day.day):
        return True
    leap = day.year % 4 == 0 and (day.year % 100 != 0 or day.year % 400 == 0)
    return (anniversary.month, anniversary.day, day.month, day.day) == (2, 29, 2, 28) and not leap


def occasions_of(contact: CustomerContact, day: date) -> list[CareOccasion]:
    found = []
    born = contact.birth_date
    if born is not None and born < day and falls_on(born, day):
        found.append(CareOccasion.BIRTHDAY)
    since = contact.customer_since.date()
    if since.year < day.year and falls_on(since, day):
        found.append(CareOccasion.ANNIVERSARY)
    return found


@dataclass(frozen=True)
class CareDue:
    task: CareTask

    @property
    def subject_id(self) -> UUID:  # the customer's: marketing keys its letters by them
        return self.task.customer_id

    @property
    def version(self) -> int:
        return 1
