"""Domain events: facts about an order, recorded on the aggregate while a command runs and
collected by the unit of work when it commits.

They carry values and ids, never the aggregate, each with the order's version after the change;
those of a step or a payment carry who took it too. Every event of the service names the
aggregate it is about as `subject_id` (the outbox row's subject).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from crm_sales.domain.values import Actor, Money

if TYPE_CHECKING:  # orders.py records these events, so it cannot be imported here at run time
    from crm_sales.domain.orders import OrderState, OrderStep


@dataclass(frozen=True)
class OrderSnapshot:
    """An order as it stands after a change: what subscribers need of it."""

    id: UUID
    customer_id: UUID
    title: str
    owner_id: str | None
    partner_id: UUID | None
    state: OrderState
    amount: Money | None
    revisions: int
    version: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class OrderEvent:
    """An event about the order as it stands after the change: its snapshot, the subject."""

    order: OrderSnapshot

    @property
    def order_id(self) -> UUID:
        return self.order.id

    @property
    def subject_id(self) -> UUID:
        return self.order.id

    @property
    def version(self) -> int:
        return self.order.version


@dataclass(frozen=True)
class OrderPlaced(OrderEvent):
    pass


@dataclass(frozen=True)
class OrderStepTaken(OrderEvent):
    step: OrderStep
    from_state: OrderState
    to_state: OrderState
    actor: Actor
    note: str | None


@dataclass(frozen=True)
class OrderCancelled(OrderEvent):
    reason: str
    actor: Actor


@dataclass(frozen=True)
class OrderPartnerAssigned(OrderEvent):
    """The snapshot's partner_id: the partner now (None: taken back)."""

    previous_partner_id: UUID | None
    actor: Actor


@dataclass(frozen=True)
class OrderDiscounted(OrderEvent):
    """The customer's loyalty points took `discount` off the snapshot's amount."""

    points: int
    discount: Money
    actor: Actor


@dataclass(frozen=True)
class OrderCustomerChanged(OrderEvent):
    """The snapshot's customer_id: the survivor of a customer merge."""

    previous_customer_id: UUID
    actor: Actor


@dataclass(frozen=True)
class PaymentMilestonePaid:
    order_id: UUID
    version: int
    number: int
    amount: Money
    reference: str
    actor: Actor
    customer_id: UUID  # whose payment it is, for subscribers that follow a customer

    @property
    def subject_id(self) -> UUID:
        return self.order_id


@dataclass(frozen=True)
class OrderPaid:
    """The last unpaid milestone was paid: the order's total is in."""

    order_id: UUID
    version: int
    customer_id: UUID
    total: Money
    actor: Actor

    @property
    def subject_id(self) -> UUID:
        return self.order_id


DomainEvent = (
    OrderPlaced
    | OrderStepTaken
    | OrderCancelled
    | OrderPartnerAssigned
    | OrderDiscounted
    | OrderCustomerChanged
    | PaymentMilestonePaid
    | OrderPaid
)
