"""What the sales handlers need from storage; adapters provide it, unit tests fake it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol
from uuid import UUID

from crm_platform.paging import Cursor
from crm_platform.ports import Transaction

from crm_sales.domain.orders import Order, OrderState
from crm_sales.domain.values import Money

if TYPE_CHECKING:  # visibility.py reads TeamDirectory from here
    from crm_sales.service_layer.visibility import Scope


@dataclass(frozen=True)
class OrderFilters:
    scope: Scope  # what the caller may see
    customer_id: UUID | None = None
    state: OrderState | None = None


class OrderRepository(Protocol):
    def get(self, order_id: UUID) -> Order | None: ...

    def of_customer(self, customer_id: UUID) -> list[Order]: ...

    def add(self, order: Order) -> None: ...

    def save(self, order: Order) -> None: ...

    def list(self, filters: OrderFilters, after: Cursor | None, limit: int) -> list[Order]: ...


class IdempotencyKeys(Protocol):
    def claim(self, key: str, order_id: UUID, *, now: datetime) -> UUID | None: ...


class CustomerStanding(StrEnum):
    ACTIVE = "active"
    BLACKLISTED = "blacklisted"
    MERGED = "merged"  # merged into another record: orders go to the survivor
    UNKNOWN = "unknown"


class Customers(Protocol):
    """The customer service, asked with the caller's own token."""

    def standing(self, customer_id: UUID) -> CustomerStanding: ...

    def redeem_points(self, customer_id: UUID, order_id: UUID, points: int, currency: str) -> Money:
        """Redeem the customer's loyalty points for the order (the same request again answers
        the same redemption); what they are worth in `currency`."""
        ...


class TeamDirectory(Protocol):
    """Who works with whom: what service_layer/visibility.py needs of the sales teams."""

    def colleagues_of(self, subject: str) -> frozenset[str]:
        """The staff whose records `subject` sees through their teams: every active or
        inactive member and manager of each team they belong to or manage."""
        ...


class UnitOfWork(Transaction, Protocol):
    """One transaction: the orders' changes and their events commit together."""

    @property
    def orders(self) -> OrderRepository: ...

    @property
    def idempotency_keys(self) -> IdempotencyKeys: ...

    @property
    def teams(self) -> TeamDirectory: ...
