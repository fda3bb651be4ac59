"""Orders, payments, interactions and each customer's sums of them, in the database."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from crm_analytics.adapters.orm import customer_value, interactions, orders, payments
from crm_analytics.domain.orders import CustomerValue, Interaction, Money, OrderFacts, Payment

CENTS = Decimal(100)


def cents(amount: Decimal) -> int:
    return int((amount * CENTS).to_integral_value())


class ValueRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def order(self, order_id: str) -> OrderFacts | None:
        """The order as last recorded, locked until commit."""
        row = self.session.execute(
            sa.select(orders).where(orders.c.order_id == order_id).with_for_update()
        ).first()
        return _order(row) if row is not None else None

    def save_order(self, order: OrderFacts) -> None:
        values = {
            "order_id": order.order_id,
            "customer_id": order.customer_id,
            "state": order.state,
            "amount": str(order.amount.amount) if order.amount else None,
            "currency": order.amount.currency if order.amount else None,
            "placed_at": order.placed_at,
            "version": order.version,
        }
        statement = self._insert(orders).values(**values)
        self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[orders.c.order_id],
                set_={name: statement.excluded[name] for name in list(values)[1:]},
            )
        )

    def add_payment(self, payment: Payment) -> bool:
        """False when this milestone's payment is recorded already."""
        statement = (
            self._insert(payments)
            .values(
                order_id=payment.order_id,
                number=payment.number,
                customer_id=payment.customer_id,
                amount=str(payment.amount.amount),
                currency=payment.amount.currency,
                paid_at=payment.paid_at,
            )
            .on_conflict_do_nothing()
            .returning(payments.c.order_id)
        )
        return self.session.execute(statement).first() is not None

    def move_payments(self, order_id: str, customer_id: str) -> None:
        """An order's payments follow it to another customer (a merge)."""
        self.session.execute(
            sa.update(payments)
            .where(payments.c.order_id == order_id)
            .values(customer_id=customer_id)
        )

    def add_interaction(self, interaction: Interaction) -> bool:
        statement = (
            self._insert(interactions)
            .values(
                interaction_id=interaction.interaction_id,
                customer_id=interaction.customer_id,
                channel=interaction.channel,
                occurred_at=interaction.occurred_at,
            )
            .on_conflict_do_nothing()
            .returning(interactions.c.interaction_id)
        )
        return self.session.execute(statement).first() is not None

    def history(
        self, customer_id: str
    ) -> tuple[list[OrderFacts], list[Payment], list[Interaction]]:
        found_orders = self.session.execute(
            sa.select(orders).where(orders.c.customer_id == customer_id)
        )
        found_payments = self.session.execute(
            sa.select(payments).where(payments.c.customer_id == customer_id)
        )
        found_interactions = self.session.execute(
            sa.select(interactions).where(interactions.c.customer_id == customer_id)
        )
        return (
            [_order(row) for row in found_orders],
            [
                Payment(
                    r.order_id,
                    r.number,
                    r.customer_id,
                    Money(Decimal(r.amount), r.currency),
                    r.paid_at,
                )
                for r in found_payments
            ],
            [
                Interaction(r.interaction_id, r.customer_id, r.channel, r.occurred_at)
                for r in found_interactions
            ],
        )

    def save_value(self, value: CustomerValue) -> None:
        values = {
            "customer_id": value.customer_id,
            "orders": value.orders,
            "first_order_at": value.first_order_at,
            "last_order_at": value.last_order_at,
            "paid": [[str(m.amount), m.currency] for m in value.paid],
            "paid_cents": cents(value.paid_in_reporting),
            "interactions": value.interactions,
            "last_interaction_at": value.last_interaction_at,
        }
        statement = self._insert(customer_value).values(**values)
        self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[customer_value.c.customer_id],
                set_={name: statement.excluded[name] for name in list(values)[1:]},
            )
        )

    def value(self, customer_id: str) -> CustomerValue | None:
        row = self.session.execute(
            sa.select(customer_value).where(customer_value.c.customer_id == customer_id)
        ).first()
        if row is None:
            return None
        return CustomerValue(
            customer_id=row.customer_id,
            orders=row.orders,
            first_order_at=row.first_order_at,
            last_order_at=row.last_order_at,
            paid=tuple(Money(Decimal(amount), currency) for amount, currency in row.paid),
            paid_in_reporting=Decimal(row.paid_cents) / CENTS,
            interactions=row.interactions,
            last_interaction_at=row.last_interaction_at,
        )

    def clear(self) -> None:
        for table in (customer_value, interactions, payments, orders):
            self.session.execute(sa.delete(table))

    def _insert(self, table: sa.Table) -> Any:
        dialect = self.session.get_bind().dialect.name
        return (pg_insert if dialect == "postgresql" else sqlite_insert)(table)


def _order(row: Any) -> OrderFacts:
    return OrderFacts(
        order_id=row.order_id,
        customer_id=row.customer_id,
        state=row.state,
        amount=Money(Decimal(row.amount), row.currency) if row.amount is not None else None,
        placed_at=row.placed_at,
        version=row.version,
    )
