"""A customer merged into another in the customer service: every sales record of the merged
customer (its converted leads, its opportunities, its orders, whatever their state) is the
survivor's from then on, each change an event of its own (in the consumer's unit of work)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol
from uuid import UUID

from crm_sales.domain.values import Actor
from crm_sales.service_layer.leads import LeadRepository
from crm_sales.service_layer.opportunities import OpportunityRepository
from crm_sales.service_layer.ports import OrderRepository


class MergeUnitOfWork(Protocol):
    @property
    def leads(self) -> LeadRepository: ...

    @property
    def opportunities(self) -> OpportunityRepository: ...

    @property
    def orders(self) -> OrderRepository: ...


def move_to_survivor(
    uow: MergeUnitOfWork, actor: Actor, now: datetime, merged_id: UUID, survivor_id: UUID
) -> int:
    """How many records moved."""
    moved = 0
    for lead in uow.leads.of_customer(merged_id):
        lead.relink_customer(actor, now, survivor_id)
        uow.leads.save(lead)
        moved += 1
    for opportunity in uow.opportunities.of_customer(merged_id):
        opportunity.relink_customer(actor, now, survivor_id)
        uow.opportunities.save(opportunity)
        moved += 1
    for order in uow.orders.of_customer(merged_id):
        order.relink_customer(actor, now, survivor_id)
        uow.orders.save(order)
        moved += 1
    return moved
