"""The customer service's unit of work: the chassis transaction plus its repositories."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Self

from crm_platform.events import source_of
from crm_platform.uow import UnitOfWork
from sqlalchemy.orm import Session, sessionmaker

from crm_customer.adapters.event_mapping import to_message
from crm_customer.adapters.messages import actor_to_proto
from crm_customer.adapters.repository import (
    SqlCustomerRepository,
    SqlIdempotencyKeys,
    SqlInteractionRepository,
)
from crm_customer.config import SERVICE_NAME
from crm_customer.domain.events import DomainEvent
from crm_customer.domain.model import Actor


class SqlUnitOfWork(UnitOfWork):
    customers: SqlCustomerRepository
    interactions: SqlInteractionRepository
    idempotency_keys: SqlIdempotencyKeys

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        super().__init__(session_factory, source_of(SERVICE_NAME))

    def __enter__(self) -> Self:
        super().__enter__()
        self.customers = SqlCustomerRepository(self.session)
        self.interactions = SqlInteractionRepository(self.session)
        self.idempotency_keys = SqlIdempotencyKeys(self.session)
        return self

    def publish(self, events: Iterable[DomainEvent], actor: Actor) -> None:
        by = actor_to_proto(actor)
        for event in events:
            self.emit(to_message(event, by), subject=str(event.customer_id))
