"""Event handlers of a customer's value: orders and payments from sales, interactions from
customer. Each change sums the customer's history up again, rescores their RFM and lifetime
value, and checks their segments."""

from __future__ import annotations

import logging

from crm_analytics.domain.orders import Interaction, OrderFacts, Payment, summarize
from crm_analytics.service_layer import rfm
from crm_analytics.service_layer.memberships import Cause, refresh_customers
from crm_analytics.service_layer.ports import ReadModelUnit

log = logging.getLogger(__name__)


def record_order(uow: ReadModelUnit, order: OrderFacts, cause: Cause) -> None:
    kept = uow.value.order(order.order_id)
    if not order.newer_than(kept):
        log.debug("stale order %s (version %d) ignored", order.order_id, order.version)
        return
    uow.value.save_order(order)
    touched = [order.customer_id]
    if kept is not None and kept.customer_id != order.customer_id:  # merged into another
        uow.value.move_payments(order.order_id, order.customer_id)
        touched.append(kept.customer_id)
    for customer_id in touched:
        sum_up(uow, customer_id, cause)


def record_payment(uow: ReadModelUnit, payment: Payment, cause: Cause) -> None:
    if uow.value.add_payment(payment):
        sum_up(uow, payment.customer_id, cause)
    else:
        log.debug("payment %s #%d recorded already", payment.order_id, payment.number)


def record_interaction(uow: ReadModelUnit, interaction: Interaction, cause: Cause) -> None:
    if uow.value.add_interaction(interaction):
        sum_up(uow, interaction.customer_id, cause)


def sum_up(uow: ReadModelUnit, customer_id: str, cause: Cause) -> None:
    orders, payments, interactions = uow.value.history(customer_id)
    value = summarize(customer_id, orders, payments, interactions)
    uow.value.save_value(value)
    rfm.rescore(uow, value, cause.today)
    refresh_customers(uow, [customer_id], cause.actor, cause.today)
