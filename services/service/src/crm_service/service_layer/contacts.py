"""The service's copy of the customers' contact details, from the customer service's events
(entrypoints/consumer.py turns each into one of these calls, in the transaction that records
the event in the inbox), and recognition by it: whom a mail or a call comes from."""

from __future__ import annotations

from dataclasses import replace
from uuid import UUID

from crm_service.domain.cases import Recognized
from crm_service.domain.contacts import UNKNOWN, CustomerContact, phone_key
from crm_service.service_layer.ports import UnitOfWork


def apply_snapshot(uow: UnitOfWork, contact: CustomerContact) -> None:
    """A registration's, an update's or a merge survivor's snapshot."""
    uow.contacts.put(replace(contact, email=contact.email.lower()))


def set_blacklisted(uow: UnitOfWork, customer_id: UUID, blacklisted: bool, version: int) -> None:
    found = uow.contacts.get(customer_id)
    if found is not None and found.version < version:
        uow.contacts.put(replace(found, blacklisted=blacklisted, version=version))


def merge(uow: UnitOfWork, merged_id: UUID, survivor_id: UUID, merged_version: int) -> None:
    found = uow.contacts.get(merged_id)
    if found is not None and found.version < merged_version:
        uow.contacts.put(replace(found, merged_into_id=survivor_id, version=merged_version))


def by_email(uow: UnitOfWork, email: str) -> Recognized:
    found = uow.contacts.by_email(email.strip().lower())
    return UNKNOWN if found is None else found.recognized


def by_phone(uow: UnitOfWork, phone: str) -> Recognized:
    found = uow.contacts.by_phone(phone_key(phone))
    return UNKNOWN if found is None else found.recognized
