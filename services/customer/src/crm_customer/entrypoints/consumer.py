"""Event -> handler: the customer consumer's one table, from which its queue's bindings come.

The customer service follows what sales does with a customer:
- every activity logged as done (a call, a meeting, an email, a task) goes on the customer's
  timeline, keyed by the activity's id, and so does every call the service service logs on a
  case (CallLogged, keyed by the call's id);
- a paid order earns loyalty points, a cancelled one takes back what it earned and gives back
  what was redeemed for it, each keyed by the order;
and what marketing hears from a customer: an unsubscription through a campaign message
withdraws their e-mail consent (a ConsentChanged whose actor is the customer); and each
service's confirmation that it erased a customer's personal data (PersonalDataErased).
The chassis's inbox drops a redelivered event; the keys make a second event of the same fact
change nothing either.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import cast
from uuid import UUID

from crm_platform import enums
from crm_platform.consumer import EventHandlers
from crm_platform.events import Event
from crm_proto.crm.marketing.v1 import events_pb2 as marketing_events
from crm_proto.crm.privacy.v1 import events_pb2 as privacy_events
from crm_proto.crm.sales.v1 import activities_pb2, events_pb2
from crm_proto.crm.service.v1 import cases_pb2
from crm_proto.crm.service.v1 import events_pb2 as service_events

from crm_customer.adapters.messages import actor_from_proto
from crm_customer.config import SERVICE_NAME, loyalty_program
from crm_customer.domain.values import InteractionChannel
from crm_customer.service_layer.erasure import ErasureUnitOfWork, personal_data_erased
from crm_customer.service_layer.handlers import unsubscribed
from crm_customer.service_layer.loyalty import order_cancelled, order_paid
from crm_customer.service_layer.ports import UnitOfWork
from crm_customer.service_layer.timeline import LoggedActivity, record_activity

HANDLERS = EventHandlers[UnitOfWork](SERVICE_NAME)

CHANNELS = {
    activities_pb2.ACTIVITY_KIND_CALL: InteractionChannel.PHONE,
    activities_pb2.ACTIVITY_KIND_MEETING: InteractionChannel.MEETING,
    activities_pb2.ACTIVITY_KIND_EMAIL: InteractionChannel.EMAIL,
    activities_pb2.ACTIVITY_KIND_TASK: InteractionChannel.TASK,
}


def _activity_completed(
    uow: UnitOfWork, message: events_pb2.ActivityCompleted, event: Event
) -> None:
    activity = message.activity
    channel = CHANNELS.get(activity.kind)
    if not message.customer_id or channel is None:
        return  # about a lead nobody has made a customer of yet: no timeline to show it on
    done_at = (
        activity.done_at.ToDatetime(tzinfo=UTC) if activity.HasField("done_at") else event.time
    )
    record_activity(
        uow,
        LoggedActivity(
            activity_id=UUID(activity.id),
            customer_id=UUID(message.customer_id),
            channel=channel,
            summary=summary_of(message),
            done_at=done_at,
            actor=actor_from_proto(message.actor),
        ),
        now=datetime.now(UTC),
    )


def _order_paid(uow: UnitOfWork, message: events_pb2.OrderPaid, event: Event) -> None:
    order_paid(
        uow,
        loyalty_program(),
        customer_id=UUID(message.customer_id),
        order_id=UUID(message.order_id),
        total=Decimal(message.total.amount or "0"),
        now=event.time,
    )


def _order_cancelled(uow: UnitOfWork, message: events_pb2.OrderCancelled, event: Event) -> None:
    order_cancelled(
        uow,
        loyalty_program(),
        customer_id=UUID(message.order.customer_id),
        order_id=UUID(message.order.id),
        now=event.time,
    )


def _unsubscribed(
    uow: UnitOfWork, message: marketing_events.ContactUnsubscribed, event: Event
) -> None:
    unsubscribed(uow, UUID(message.customer_id), now=event.time)


def _call_logged(uow: UnitOfWork, message: service_events.CallLogged, event: Event) -> None:
    if not message.customer_id:
        return  # a caller no customer has the number of: no timeline to show it on
    direction = enums.key(cases_pb2.CallDirection.DESCRIPTOR, message.direction) or "phone"
    minutes, seconds = divmod(message.duration_seconds, 60)
    record_activity(
        uow,
        LoggedActivity(
            activity_id=UUID(message.call_id),
            customer_id=UUID(message.customer_id),
            channel=InteractionChannel.PHONE,
            summary=f"{direction.capitalize()} call, {minutes} min {seconds} s "
            f"(case {message.case_reference})",
            done_at=message.started_at.ToDatetime(tzinfo=UTC),
            actor=actor_from_proto(message.actor),
        ),
        now=datetime.now(UTC),
    )


HANDLERS.on(events_pb2.ActivityCompleted, _activity_completed)
HANDLERS.on(service_events.CallLogged, _call_logged)
HANDLERS.on(events_pb2.OrderPaid, _order_paid)
HANDLERS.on(events_pb2.OrderCancelled, _order_cancelled)
HANDLERS.on(marketing_events.ContactUnsubscribed, _unsubscribed)


def _personal_data_erased(
    uow: UnitOfWork, message: privacy_events.PersonalDataErased, event: Event
) -> None:
    personal_data_erased(
        cast(ErasureUnitOfWork, uow),  # the service's unit of work keeps the erasures
        customer_id=UUID(message.customer_id),
        erasure_id=UUID(message.erasure_id),
        service=message.service,
        at=message.erased_at.ToDatetime(tzinfo=UTC)
        if message.HasField("erased_at")
        else event.time,
    )


HANDLERS.on(privacy_events.PersonalDataErased, _personal_data_erased)


def summary_of(message: events_pb2.ActivityCompleted) -> str:
    """ "Call (no answer): Ask about the table. Will try Monday" and the like."""
    activity = message.activity
    kind = enums.key(activities_pb2.ActivityKind.DESCRIPTOR, activity.kind) or "activity"
    outcome = enums.key(activities_pb2.CallOutcome.DESCRIPTOR, message.outcome)
    head = kind.capitalize() + (f" ({outcome.replace('_', ' ')})" if outcome else "")
    text = f"{head}: {activity.title}"
    return f"{text}. {activity.outcome_note}" if activity.outcome_note else text
