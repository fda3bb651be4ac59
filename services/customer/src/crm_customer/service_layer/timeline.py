"""What other services did with a customer, put on the customer's timeline: each sales
activity logged as done becomes one interaction, whose id is the activity's, so a redelivered
or repeated event never adds it twice."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from crm_customer.domain.model import SUMMARY_MAX_LENGTH
from crm_customer.domain.values import Actor, InteractionChannel
from crm_customer.service_layer.handlers import live_customer
from crm_customer.service_layer.ports import UnitOfWork

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoggedActivity:
    activity_id: UUID
    customer_id: UUID
    channel: InteractionChannel
    summary: str
    done_at: datetime
    actor: Actor


def record_activity(uow: UnitOfWork, activity: LoggedActivity, *, now: datetime) -> bool:
    """Add the activity to its customer's timeline (the survivor's, when the customer was
    merged); False when it is there already or the customer is unknown here."""
    if uow.interactions.exists(activity.activity_id):
        return False
    customer = live_customer(uow.customers, activity.customer_id)
    if customer is None:
        log.warning(
            "activity %s is about customer %s, who is not known here: not on any timeline",
            activity.activity_id,
            activity.customer_id,
        )
        return False
    interaction = customer.log_interaction(
        interaction_id=activity.activity_id,
        channel=activity.channel,
        summary=activity.summary[:SUMMARY_MAX_LENGTH],
        # done in the past by the sales service's clock; never later than ours
        occurred_at=min(activity.done_at, now),
        actor=activity.actor,
        now=now,
    )
    uow.interactions.add(interaction)
    return True
