"""Event -> handler: the analytics consumer's one table, from which its queue's bindings come.

Analytics records every event (bound to `crm.#`); those without a handler here are recorded in
the inbox and acked. Each handler turns the event into the read model's terms and hands it to
the service layer.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation

from crm_platform import enums
from crm_platform.consumer import EventHandlers
from crm_platform.events import Event
from crm_platform.privacy import anonymize_records, on_customer_erased
from crm_proto.crm.common.v1 import common_pb2
from crm_proto.crm.customer.v1 import customer_pb2, events_pb2
from crm_proto.crm.sales.v1 import events_pb2 as sales_events
from crm_proto.crm.sales.v1 import sales_pb2

from crm_analytics.adapters.messages import actor_from_proto
from crm_analytics.config import SERVICE_NAME
from crm_analytics.domain.customer_facts import UNKNOWN, CustomerSnapshot
from crm_analytics.domain.orders import Interaction, Money, OrderFacts, Payment
from crm_analytics.service_layer import handlers, value
from crm_analytics.service_layer.memberships import Cause
from crm_analytics.service_layer.ports import ReadModelUnit

log = logging.getLogger(__name__)

HANDLERS = EventHandlers[ReadModelUnit](SERVICE_NAME, every_event=True)


def _cause(actor: common_pb2.Actor) -> Cause:
    return Cause(actor_from_proto(actor), datetime.now(UTC).date())


def _registered(uow: ReadModelUnit, message: events_pb2.CustomerRegistered, event: Event) -> None:
    handlers.apply_snapshot(
        uow,
        snapshot_of(message.customer, event.time),
        message.version,
        event.time,
        _cause(message.actor),
    )


def _updated(uow: ReadModelUnit, message: events_pb2.CustomerUpdated, event: Event) -> None:
    handlers.apply_snapshot(
        uow,
        snapshot_of(message.customer, event.time),
        message.version,
        event.time,
        _cause(message.actor),
    )


def _merged(uow: ReadModelUnit, message: events_pb2.CustomerMerged, event: Event) -> None:
    handlers.record_merge(
        uow,
        snapshot_of(message.survivor, event.time),
        message.version,
        merged_id=message.merged_id,
        merged_version=message.merged_version,
        occurred_at=event.time,
        cause=_cause(message.actor),
    )


def _blacklisted(uow: ReadModelUnit, message: events_pb2.CustomerBlacklisted, event: Event) -> None:
    handlers.set_blacklisted(
        uow, message.customer_id, True, message.version, event.time, _cause(message.actor)
    )


def _unblacklisted(
    uow: ReadModelUnit, message: events_pb2.CustomerUnblacklisted, event: Event
) -> None:
    handlers.set_blacklisted(
        uow, message.customer_id, False, message.version, event.time, _cause(message.actor)
    )


def _consent_changed(uow: ReadModelUnit, message: events_pb2.ConsentChanged, event: Event) -> None:
    channel = enums.key(customer_pb2.ConsentChannel.DESCRIPTOR, message.channel)
    if channel is None:
        log.warning("consent of %s on an unknown channel %d ignored", message.customer_id,
                    message.channel)  # fmt: skip
        return
    handlers.set_consent(
        uow,
        message.customer_id,
        channel,
        message.granted,
        message.version,
        event.time,
        _cause(message.actor),
    )


HANDLERS.on(events_pb2.CustomerRegistered, _registered)
HANDLERS.on(events_pb2.CustomerUpdated, _updated)
HANDLERS.on(events_pb2.CustomerMerged, _merged)
HANDLERS.on(events_pb2.CustomerBlacklisted, _blacklisted)
HANDLERS.on(events_pb2.CustomerUnblacklisted, _unblacklisted)
HANDLERS.on(events_pb2.ConsentChanged, _consent_changed)


def _interaction(uow: ReadModelUnit, message: events_pb2.InteractionLogged, event: Event) -> None:
    value.record_interaction(
        uow,
        Interaction(
            interaction_id=message.interaction_id,
            customer_id=message.customer_id,
            channel=enums.key(customer_pb2.InteractionChannel.DESCRIPTOR, message.channel)
            or UNKNOWN,
            occurred_at=(
                message.occurred_at.ToDatetime(tzinfo=UTC)
                if message.HasField("occurred_at")
                else event.time
            ),
        ),
        _cause(message.actor),
    )


HANDLERS.on(events_pb2.InteractionLogged, _interaction)


# -- sales: every order event carries the order's snapshot and version ------------------------

OrderEvent = (
    sales_events.OrderPlaced
    | sales_events.OrderStepTaken
    | sales_events.OrderCancelled
    | sales_events.OrderPartnerAssigned
    | sales_events.OrderCustomerChanged
)


def _order(uow: ReadModelUnit, message: OrderEvent, event: Event) -> None:
    value.record_order(uow, order_of(message.order, event.time), _cause(message.actor))


def _milestone_paid(
    uow: ReadModelUnit, message: sales_events.PaymentMilestonePaid, event: Event
) -> None:
    amount = money_of(message.amount)
    if amount is None:
        log.warning("payment of order %s #%d without an amount ignored", message.order_id,
                    message.number)  # fmt: skip
        return
    value.record_payment(
        uow,
        Payment(message.order_id, message.number, message.customer_id, amount, event.time),
        _cause(message.actor),
    )


HANDLERS.on(sales_events.OrderPlaced, _order)
HANDLERS.on(sales_events.OrderStepTaken, _order)
HANDLERS.on(sales_events.OrderCancelled, _order)
HANDLERS.on(sales_events.OrderPartnerAssigned, _order)
HANDLERS.on(sales_events.OrderCustomerChanged, _order)
HANDLERS.on(sales_events.PaymentMilestonePaid, _milestone_paid)
# the customer's erasure: the facts that say who and where they are
on_customer_erased(HANDLERS, SERVICE_NAME, anonymize_records)


def order_of(order: sales_pb2.Order, occurred_at: datetime) -> OrderFacts:
    return OrderFacts(
        order_id=order.id,
        customer_id=order.customer_id,
        state=enums.key(sales_pb2.OrderState.DESCRIPTOR, order.state) or UNKNOWN,
        amount=money_of(order.amount),
        placed_at=(
            order.created_at.ToDatetime(tzinfo=UTC) if order.HasField("created_at") else occurred_at
        ),
        version=order.version,
    )


def money_of(money: common_pb2.Money) -> Money | None:
    """An amount of an event; None when it has none (sales validates the ones it takes)."""
    if not money.amount or not money.currency_code:
        return None
    try:
        return Money(Decimal(money.amount), money.currency_code.upper())
    except InvalidOperation:
        log.warning("unreadable amount %r ignored", money.amount)
        return None


def snapshot_of(customer: customer_pb2.Customer, occurred_at: datetime) -> CustomerSnapshot:
    """The customer record in the read model's terms: enum names as lowercase segment keys."""
    return CustomerSnapshot(
        customer_id=customer.id,
        region=customer.region.strip() or None,
        city=customer.city.strip() or None,
        gender=_segment(enums.key(customer_pb2.Gender.DESCRIPTOR, customer.gender)),
        birth_date=_birth_date(customer),
        acquisition_source=_segment(
            enums.key(customer_pb2.AcquisitionSource.DESCRIPTOR, customer.acquisition_source)
        ),
        blacklisted=customer.blacklisted,
        merged_into=customer.merged_into_id or None,
        registered_at=(
            customer.created_at.ToDatetime(tzinfo=UTC)
            if customer.HasField("created_at")
            else occurred_at
        ),
        tags=frozenset(tag.strip().lower() for tag in customer.tags if tag.strip()),
        granted_consents=frozenset(
            channel
            for consent in customer.consents
            if consent.granted
            and (channel := enums.key(customer_pb2.ConsentChannel.DESCRIPTOR, consent.channel))
        ),
    )


def _segment(key: str | None) -> str:
    """An enum's key as the read model's segment key: female, sales_rep, ... or unknown (not
    given, or a value newer than this consumer)."""
    return UNKNOWN if key is None else key


def _birth_date(customer: customer_pb2.Customer) -> date | None:
    if not customer.birth_date:
        return None
    try:
        return date.fromisoformat(customer.birth_date)
    except ValueError:
        # The customer service validates birth dates; an unreadable one counts as unknown.
        log.warning("customer %s: unreadable birth date %r", customer.id, customer.birth_date)
        return None
