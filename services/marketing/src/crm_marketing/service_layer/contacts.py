"""Marketing's copy of the customers' contact details and consent, from the customer service's
events (entrypoints/consumer.py turns each into one of these calls, in the transaction that
records the event in the inbox), and its reading."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from crm_platform.errors import NotFound

from crm_marketing.domain.contacts import Channel, Contact, Profile
from crm_marketing.service_layer.ports import UnitOfWork


def apply_snapshot(
    uow: UnitOfWork,
    customer_id: UUID,
    profile: Profile,
    *,
    blacklisted: bool,
    consents: dict[Channel, bool],
    merged_into_id: UUID | None,
    version: int,
) -> None:
    _change(
        uow,
        customer_id,
        lambda contact: contact.apply_snapshot(
            profile, blacklisted, consents, merged_into_id, version
        ),
    )


def set_blacklisted(uow: UnitOfWork, customer_id: UUID, blacklisted: bool, version: int) -> None:
    _change(uow, customer_id, lambda contact: contact.set_blacklisted(blacklisted, version))


def set_consent(
    uow: UnitOfWork, customer_id: UUID, channel: Channel, granted: bool, version: int
) -> None:
    _change(uow, customer_id, lambda contact: contact.set_consent(channel, granted, version))


def unsubscribe(uow: UnitOfWork, customer_id: UUID, channel: Channel) -> None:
    _change(uow, customer_id, lambda contact: contact.unsubscribe(channel))


def merge(uow: UnitOfWork, merged_id: UUID, survivor_id: UUID, merged_version: int) -> None:
    _change(uow, merged_id, lambda contact: contact.merge_into(survivor_id, merged_version))


def _change(uow: UnitOfWork, customer_id: UUID, change: Callable[[Contact], bool]) -> None:
    contact = uow.contacts.get(customer_id) or Contact(customer_id)
    if change(contact):
        uow.contacts.save(contact)


class ContactQueries:
    def __init__(self, uow_factory: Callable[[], UnitOfWork]) -> None:
        self.uow_factory = uow_factory

    def get(self, customer_id: UUID) -> Contact:
        with self.uow_factory() as uow:
            contact = uow.contacts.get(customer_id)
        if contact is None:
            raise NotFound(f"no contact {customer_id}")
        return contact
