"""Event -> handler: the service consumer's one table, from which its queue's bindings come.

The customer service's events keep the service's copy of each customer's contact details
(service_layer/contacts.py): the snapshots of a registration, an update and the survivor of a
merge, the merged record's pointer to its survivor, blacklisting and its lifting. The chassis's
inbox drops a redelivered event, and each record keeps the customer version it was set at, so
a late event changes nothing newer.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID

from crm_platform.consumer import EventHandlers
from crm_platform.events import Event
from crm_platform.privacy import anonymize_records, on_customer_erased
from crm_proto.crm.customer.v1 import customer_pb2
from crm_proto.crm.customer.v1 import events_pb2 as customer_events

from crm_service.adapters.unit_of_work import SqlUnitOfWork
from crm_service.config import SERVICE_NAME
from crm_service.domain.contacts import CustomerContact
from crm_service.service_layer import contacts

HANDLERS = EventHandlers[SqlUnitOfWork](SERVICE_NAME)


def _contact(customer: customer_pb2.Customer, version: int) -> CustomerContact:
    since = customer.created_at.ToDatetime(tzinfo=UTC) if customer.HasField("created_at") else None
    return CustomerContact(
        customer_id=UUID(customer.id),
        name=customer.name,
        email=customer.email,
        phone=customer.phone,
        birth_date=date.fromisoformat(customer.birth_date) if customer.birth_date else None,
        owner_id=customer.owner_id or None,
        customer_since=since or datetime.now(UTC),
        blacklisted=customer.blacklisted,
        merged_into_id=UUID(customer.merged_into_id) if customer.merged_into_id else None,
        version=version,
    )


def _registered(
    uow: SqlUnitOfWork, message: customer_events.CustomerRegistered, event: Event
) -> None:
    contacts.apply_snapshot(uow, _contact(message.customer, message.version))


def _updated(uow: SqlUnitOfWork, message: customer_events.CustomerUpdated, event: Event) -> None:
    contacts.apply_snapshot(uow, _contact(message.customer, message.version))


def _merged(uow: SqlUnitOfWork, message: customer_events.CustomerMerged, event: Event) -> None:
    contacts.apply_snapshot(uow, _contact(message.survivor, message.version))
    contacts.merge(uow, UUID(message.merged_id), UUID(message.survivor.id), message.merged_version)


def _blacklisted(
    uow: SqlUnitOfWork, message: customer_events.CustomerBlacklisted, event: Event
) -> None:
    contacts.set_blacklisted(uow, UUID(message.customer_id), True, message.version)


def _unblacklisted(
    uow: SqlUnitOfWork, message: customer_events.CustomerUnblacklisted, event: Event
) -> None:
    contacts.set_blacklisted(uow, UUID(message.customer_id), False, message.version)


HANDLERS.on(customer_events.CustomerRegistered, _registered)
HANDLERS.on(customer_events.CustomerUpdated, _updated)
HANDLERS.on(customer_events.CustomerMerged, _merged)
HANDLERS.on(customer_events.CustomerBlacklisted, _blacklisted)
HANDLERS.on(customer_events.CustomerUnblacklisted, _unblacklisted)
# the customer's erasure: what they wrote in their cases, their contact details and files
on_customer_erased(HANDLERS, SERVICE_NAME, anonymize_records)
