"""The sales use cases: each loads what it needs in one unit of work, lets the order decide,
and commits the change with its events.

Who sees which order is the service's one rule (visibility.py), before the domain's own rule of
who may take a step. An order the caller may not see is NOT_FOUND, as if it did not exist.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from uuid import UUID

from crm_platform import paging
from crm_platform.errors import (
    Conflict,
    FailedPrecondition,
    FieldViolation,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from crm_platform.paging import Page

from crm_sales.domain.orders import Order, OrderState
from crm_sales.domain.values import Actor, ActorKind
from crm_sales.service_layer.ports import Customers, CustomerStanding, OrderFilters, UnitOfWork
from crm_sales.service_layer.visibility import scope_of, sees_everything

Step = Callable[[Order, Actor, datetime], None]


class OrderHandlers:
    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        customers: Customers,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.uow_factory = uow_factory
        self.customers = customers
        self.clock = clock

    def place(
        self,
        actor: Actor,
        *,
        customer_id: UUID | None,
        title: str,
        description: str,
        owner_id: str | None,
        idempotency_key: str | None,
    ) -> Order:
        customer_id, owner_id = _placed_for(actor, customer_id, owner_id)
        _may_order(self.customers.standing(customer_id), customer_id)
        now = self.clock()
        order = Order.place(
            id=uuid.uuid4(),
            customer_id=customer_id,
            title=title,
            description=description,
            owner_id=owner_id,
            actor=actor,
            now=now,
        )
        with self.uow_factory() as uow:
            if idempotency_key:
                # per caller: another caller's key never answers this one's order
                earlier = uow.idempotency_keys.claim(
                    f"{actor.subject}:{idempotency_key}", order.id, now=now
                )
                if earlier is not None:
                    return _visible(uow, actor, uow.orders.get(earlier), earlier)
            uow.orders.add(order)
            uow.commit()
        return order

    def get(self, actor: Actor, order_id: UUID) -> Order:
        with self.uow_factory() as uow:
            return _visible(uow, actor, uow.orders.get(order_id), order_id)

    def list(
        self,
        actor: Actor,
        *,
        state: OrderState | None,
        customer_id: UUID | None,
        page_size: int,
        page_token: str,
    ) -> Page[Order]:
        limit = paging.page_size(page_size)
        after = paging.decode_cursor(page_token)
        with self.uow_factory() as uow:
            scope = scope_of(actor, uow.teams)
            if scope.is_empty:
                return Page([], "")
            filters = OrderFilters(scope=scope, customer_id=customer_id, state=state)
            rows = uow.orders.list(filters, after, limit + 1)
        return paging.page_of(rows, limit, lambda order: (order.created_at, order.id))

    def redeem_points(
        self, actor: Actor, order_id: UUID, expected_version: int, points: int
    ) -> Order:
        """The customer's loyalty points off the order's price. The customer service redeems
        them first (it keeps the balance); should the order then have moved on, the points come
        back with its cancellation, and the same request again finds the same redemption."""
        with self.uow_factory() as uow:
            order = _visible(uow, actor, uow.orders.get(order_id), order_id)
            _at_version(order, expected_version)
            order.check_discountable(actor)
            currency = order.amount.currency if order.amount else ""
        worth = self.customers.redeem_points(order.customer_id, order_id, points, currency)
        return self.take(
            actor, order_id, expected_version,
            lambda order, actor, now: order.discount(actor, now, points, worth),
        )  # fmt: skip

    def take(self, actor: Actor, order_id: UUID, expected_version: int, step: Step) -> Order:
        """One step of the workflow on the order, if it is still at `expected_version` (0:
        whatever version it is at)."""
        with self.uow_factory() as uow:
            order = _visible(uow, actor, uow.orders.get(order_id), order_id)
            _at_version(order, expected_version)
            step(order, actor, self.clock())
            uow.orders.save(order)
            uow.commit()
        return order


def _at_version(order: Order, expected_version: int) -> None:
    if expected_version and expected_version != order.version:
        raise Conflict(f"order {order.id} is at version {order.version}, not {expected_version}")


def _placed_for(
    actor: Actor, customer_id: UUID | None, owner_id: str | None
) -> tuple[UUID, str | None]:
    """The customer an order is for and the rep who owns it, by who places it."""
    if actor.kind is ActorKind.CUSTOMER:
        if owner_id:
            raise PermissionDenied("a customer cannot choose who owns their order")
        if actor.customer_id is None or customer_id not in (None, actor.customer_id):
            raise PermissionDenied("a customer places orders for themselves only")
        return actor.customer_id, None
    if customer_id is None:
        raise ValidationFailed(FieldViolation("customer_id", "is required"))
    if owner_id is None and not sees_everything(actor):
        owner_id = actor.subject  # a rep's order is theirs
    return customer_id, owner_id or None


def _may_order(standing: CustomerStanding, customer_id: UUID) -> None:
    if standing is CustomerStanding.UNKNOWN:
        raise ValidationFailed(FieldViolation("customer_id", f"there is no customer {customer_id}"))
    if standing is CustomerStanding.MERGED:
        raise FailedPrecondition(f"customer {customer_id} was merged: order for the survivor")
    if standing is CustomerStanding.BLACKLISTED:
        raise FailedPrecondition("a blacklisted customer cannot place orders")


def _visible(uow: UnitOfWork, actor: Actor, order: Order | None, order_id: UUID) -> Order:
    scope = scope_of(actor, uow.teams)
    if order is None or not scope.admits(
        owner_id=order.owner_id, customer_id=order.customer_id, partner_id=order.partner_id
    ):
        raise NotFound(f"no order {order_id}")
    return order
