"""The customer service's unit of work: the chassis transaction plus its repositories, whose
aggregates' events the chassis writes to the outbox at commit."""

from __future__ import annotations

from typing import Self

from crm_platform.privacy import SqlPersonalRecords
from crm_platform.uow import UnitOfWork
from crm_proto.crm.common.v1 import common_pb2
from google.protobuf.message import Message

from crm_customer.adapters.erasure_repository import SqlErasureRepository, personal_records
from crm_customer.adapters.event_mapping import to_message
from crm_customer.adapters.import_repository import SqlImportRepository
from crm_customer.adapters.loyalty_repository import SqlLoyaltyRepository
from crm_customer.adapters.party_repository import SqlParties
from crm_customer.adapters.repository import (
    SqlCustomerRepository,
    SqlIdempotencyKeys,
    SqlInteractionRepository,
)
from crm_customer.domain.events import DomainEvent


class SqlUnitOfWork(UnitOfWork):
    customers: SqlCustomerRepository
    interactions: SqlInteractionRepository
    idempotency_keys: SqlIdempotencyKeys
    loyalty: SqlLoyaltyRepository
    imports: SqlImportRepository
    parties: SqlParties
    erasures: SqlErasureRepository
    personal_data: SqlPersonalRecords

    def __enter__(self) -> Self:
        super().__enter__()
        self.customers = SqlCustomerRepository(self.session, self.track)
        self.interactions = SqlInteractionRepository(self.session)
        self.idempotency_keys = SqlIdempotencyKeys(self.session)
        self.loyalty = SqlLoyaltyRepository(self.session, self.track)
        self.imports = SqlImportRepository(self.session)
        self.parties = SqlParties(self.session)
        self.erasures = SqlErasureRepository(self.session, self.track)
        self.personal_data = personal_records(self.session)
        return self

    def outbox_message(self, event: DomainEvent, actor: common_pb2.Actor) -> tuple[Message, str]:
        return to_message(event, actor), str(event.customer_id)
