"""Event -> handler: the marketing consumer's one table, from which its queue's bindings come.

The customer service's events keep marketing's copy of each customer's contact details and
consent (service_layer/contacts.py): the snapshots of a registration, an update and the
survivor of a merge; blacklisting and its lifting; each consent change. The chassis's inbox
drops a redelivered event, and each piece of the copy keeps the customer version it was set
at, so a late event changes nothing newer.
"""

from __future__ import annotations

from uuid import UUID

from crm_platform import enums
from crm_platform.consumer import EventHandlers
from crm_platform.events import Event
from crm_platform.privacy import anonymize_records, on_customer_erased
from crm_proto.crm.customer.v1 import customer_pb2
from crm_proto.crm.customer.v1 import events_pb2 as customer_events

from crm_marketing.adapters.unit_of_work import SqlUnitOfWork
from crm_marketing.config import SERVICE_NAME
from crm_marketing.domain.contacts import Channel, Profile
from crm_marketing.service_layer import contacts

HANDLERS = EventHandlers[SqlUnitOfWork](SERVICE_NAME)


def _channel(number: int) -> Channel | None:
    key = enums.key(customer_pb2.ConsentChannel.DESCRIPTOR, number)
    return None if key is None else Channel(key)


def _snapshot(uow: SqlUnitOfWork, customer: customer_pb2.Customer, version: int) -> None:
    consents = {
        channel: consent.granted
        for consent in customer.consents
        if (channel := _channel(consent.channel)) is not None
    }
    contacts.apply_snapshot(
        uow,
        UUID(customer.id),
        Profile(customer.name, customer.email, customer.phone, customer.region, customer.city),
        blacklisted=customer.blacklisted,
        consents=consents,
        merged_into_id=UUID(customer.merged_into_id) if customer.merged_into_id else None,
        version=version,
    )


def _registered(
    uow: SqlUnitOfWork, message: customer_events.CustomerRegistered, event: Event
) -> None:
    _snapshot(uow, message.customer, message.version)


def _updated(uow: SqlUnitOfWork, message: customer_events.CustomerUpdated, event: Event) -> None:
    _snapshot(uow, message.customer, message.version)


def _merged(uow: SqlUnitOfWork, message: customer_events.CustomerMerged, event: Event) -> None:
    _snapshot(uow, message.survivor, message.version)
    contacts.merge(uow, UUID(message.merged_id), UUID(message.survivor.id), message.merged_version)


def _blacklisted(
    uow: SqlUnitOfWork, message: customer_events.CustomerBlacklisted, event: Event
) -> None:
    contacts.set_blacklisted(uow, UUID(message.customer_id), True, message.version)


def _unblacklisted(
    uow: SqlUnitOfWork, message: customer_events.CustomerUnblacklisted, event: Event
) -> None:
    contacts.set_blacklisted(uow, UUID(message.customer_id), False, message.version)


def _consent_changed(
    uow: SqlUnitOfWork, message: customer_events.ConsentChanged, event: Event
) -> None:
    channel = _channel(message.channel)
    if channel is not None:  # a channel newer than this reader: nothing to keep
        contacts.set_consent(
            uow, UUID(message.customer_id), channel, message.granted, message.version
        )


HANDLERS.on(customer_events.CustomerRegistered, _registered)
HANDLERS.on(customer_events.CustomerUpdated, _updated)
HANDLERS.on(customer_events.CustomerMerged, _merged)
HANDLERS.on(customer_events.CustomerBlacklisted, _blacklisted)
HANDLERS.on(customer_events.CustomerUnblacklisted, _unblacklisted)
HANDLERS.on(customer_events.ConsentChanged, _consent_changed)
# the customer's erasure: the contact copy's names and addresses, the messages sent to them
on_customer_erased(HANDLERS, SERVICE_NAME, anonymize_records)
