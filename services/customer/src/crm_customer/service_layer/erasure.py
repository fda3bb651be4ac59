"""Erasure (privacy) in the customer service: the admin's command, the confirmations the other
services send back (PersonalDataErased), and this service's section of a customer's export.

The record, the records merged into it and the timeline are anonymized in one transaction
with the erasure, its CustomerErased and this service's own PersonalDataErased; the loyalty
account's open points expire with it. Erased records are nobody's possible duplicate
(adapters/repository.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol
from uuid import UUID

from crm_platform import privacy
from crm_platform.errors import FailedPrecondition, NotFound
from crm_platform.privacy import PersonalRecords, Section
from google.protobuf.message import Message

from crm_customer.domain.erasure import SERVICE, Erasure, erase
from crm_customer.service_layer.access import Caller, not_found
from crm_customer.service_layer.ports import UnitOfWork


class ErasureRepository(Protocol):
    def add(self, erasure: Erasure) -> None: ...

    def get(self, customer_id: UUID, *, for_update: bool = False) -> Erasure | None: ...

    def add_confirmation(self, erasure: Erasure, service: str) -> None: ...

    def merged_into(self, customer_id: UUID) -> list[UUID]:
        """Every record merged into the customer, directly or along a chain of merges."""
        ...


class ErasureUnitOfWork(UnitOfWork, Protocol):
    @property
    def erasures(self) -> ErasureRepository: ...

    @property
    def personal_data(self) -> PersonalRecords: ...

    def emit(self, message: Message, *, subject: str) -> str: ...


def utc_now() -> datetime:
    return datetime.now(UTC)


class ErasureHandlers:
    def __init__(
        self,
        uow_factory: Callable[[], ErasureUnitOfWork],
        services: tuple[str, ...],
        *,
        clock: Callable[[], datetime] = utc_now,
        new_id: Callable[[], UUID] = uuid.uuid4,
    ) -> None:
        """`services`: those that keep personal data, whose confirmations an erasure awaits."""
        self.uow_factory = uow_factory
        self.services = services
        self.clock = clock
        self.new_id = new_id

    def erase(self, customer_id: UUID, caller: Caller) -> Erasure:
        caller.ensure_unrestricted("erase customers")
        now = self.clock()
        with self.uow_factory() as uow:
            customer = uow.customers.get(customer_id)
            if customer is None:
                raise not_found(customer_id)
            earlier = uow.erasures.get(customer_id)
            if earlier is not None:
                raise FailedPrecondition(
                    f"customer {customer_id} was erased already, at "
                    f"{earlier.requested_at.isoformat()}"
                )
            merged = [uow.customers.get(found) for found in uow.erasures.merged_into(customer_id)]
            merged_records = [record for record in merged if record is not None]
            erasure = erase(
                customer,
                merged_records,
                erasure_id=self.new_id(),
                expected=self.services,
                actor=caller.actor,
                now=now,
            )
            for record in (customer, *merged_records):
                uow.customers.save(record)
            uow.personal_data.anonymize(customer_id)
            account = uow.loyalty.get(customer_id, for_update=True)
            if account.forfeit(entry_id=self.new_id(), now=now) is not None:
                uow.loyalty.save(account)
            uow.erasures.add(erasure)
            uow.emit(
                privacy.confirmation(SERVICE, customer_id, erasure.id, now),
                subject=str(customer_id),
            )
            uow.commit()
        return erasure

    def get(self, customer_id: UUID) -> Erasure:
        with self.uow_factory() as uow:
            erasure = uow.erasures.get(customer_id)
        if erasure is None:
            raise NotFound(f"customer {customer_id} has not been erased")
        return erasure

    def personal_data(self, customer_id: UUID) -> Section:
        """This service's section of the export: the record and the records merged into it,
        their tags and consents, the timeline and the loyalty ledger."""
        with self.uow_factory() as uow:
            if uow.customers.get(customer_id) is None:
                raise not_found(customer_id)
            erasure = uow.erasures.get(customer_id)
            document = uow.personal_data.export(customer_id)
        return Section(document, None if erasure is None else erasure.requested_at)


def personal_data_erased(
    uow: ErasureUnitOfWork, *, customer_id: UUID, erasure_id: UUID, service: str, at: datetime
) -> bool:
    """Record `service`'s confirmation of the erasure; False when it had confirmed already or
    the erasure is not the customer's (nothing to record)."""
    erasure = uow.erasures.get(customer_id, for_update=True)
    if erasure is None or erasure.id != erasure_id or not erasure.confirm(service, at):
        return False
    uow.erasures.add_confirmation(erasure, service)
    return True
