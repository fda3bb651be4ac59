"""Domain events -> the protobuf events published on crm.events (crm.sales.v1.*)."""

from __future__ import annotations

from crm_proto.crm.common.v1 import common_pb2
from crm_proto.crm.sales.v1 import events_pb2
from google.protobuf.message import Message

from crm_sales.adapters import (
    activities_messages,
    expenses_messages,
    leads_messages,
    opportunities_messages,
    quotes_messages,
)
from crm_sales.adapters.messages import (
    ORDER_STATES,
    ORDER_STEPS,
    money_to_proto,
    snapshot_to_proto,
)
from crm_sales.domain import activities, events, expenses, leads, opportunities, quotes


def to_message(event: object, actor: common_pb2.Actor) -> Message:
    match event:
        case events.OrderPlaced(order=order):
            return events_pb2.OrderPlaced(
                order=snapshot_to_proto(order), version=order.version, actor=actor
            )
        case events.OrderStepTaken(order=order):
            return events_pb2.OrderStepTaken(
                order=snapshot_to_proto(order),
                step=ORDER_STEPS.to_proto(event.step),
                from_state=ORDER_STATES.to_proto(event.from_state),
                to_state=ORDER_STATES.to_proto(event.to_state),
                note=event.note or "",
                version=order.version,
                actor=actor,
            )
        case events.OrderCancelled(order=order):
            return events_pb2.OrderCancelled(
                order=snapshot_to_proto(order),
                reason=event.reason,
                version=order.version,
                actor=actor,
            )
        case events.OrderPartnerAssigned(order=order):
            return events_pb2.OrderPartnerAssigned(
                order=snapshot_to_proto(order),
                partner_id=str(order.partner_id or ""),
                previous_partner_id=str(event.previous_partner_id or ""),
                version=order.version,
                actor=actor,
            )
        case events.OrderDiscounted(order=order):
            return events_pb2.OrderDiscounted(
                order=snapshot_to_proto(order),
                points=event.points,
                discount=money_to_proto(event.discount),
                version=order.version,
                actor=actor,
            )
        case events.OrderCustomerChanged(order=order):
            return events_pb2.OrderCustomerChanged(
                order=snapshot_to_proto(order),
                previous_customer_id=str(event.previous_customer_id),
                version=order.version,
                actor=actor,
            )
        case events.PaymentMilestonePaid():
            return events_pb2.PaymentMilestonePaid(
                order_id=str(event.order_id),
                customer_id=str(event.customer_id),
                number=event.number,
                amount=money_to_proto(event.amount),
                reference=event.reference,
                version=event.version,
                actor=actor,
            )
        case events.OrderPaid():
            return events_pb2.OrderPaid(
                order_id=str(event.order_id),
                customer_id=str(event.customer_id),
                total=money_to_proto(event.total),
                version=event.version,
                actor=actor,
            )
        case (
            activities.ActivityScheduled()
            | activities.ActivityCompleted()
            | activities.ActivityRescheduled()
            | activities.ActivityCancelled()
        ):
            return activities_messages.event_message(event, actor)
        case quotes.QuoteEvent():
            return quotes_messages.event_message(event, actor)
        case expenses.ExpenseEvent():
            return expenses_messages.event_message(event, actor)
        case leads.LeadEvent():
            return leads_messages.event_message(event, actor)
        case opportunities.OpportunityEvent():
            return opportunities_messages.event_message(event, actor)
    raise TypeError(f"no event message for {type(event).__name__}")
