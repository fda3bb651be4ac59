"""Event -> handler: the sales consumer's one table, from which its queue's bindings come.

- marketing's LeadCaptured makes a lead (source campaign, or web without a campaign), merged
  into an open lead with its email or phone, assigned by the teams' rules; its lead_id makes a
  redelivery answer the lead it made, and the chassis's inbox drops a redelivered event;
- the customer service's CustomerMerged makes the merged customer's converted leads,
  opportunities and orders the survivor's;
- identity's AccountChanged keeps whether an account is disabled (assignment skips it), the
  newest version winning;
- the partner service's assignment events of an order keep who holds it (offered to, taken
  by, or no partner left), the newest assignment version winning.
"""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from crm_platform.consumer import EventHandlers
from crm_platform.events import Event
from crm_platform.privacy import anonymize_records, on_customer_erased
from crm_proto.crm.customer.v1 import events_pb2 as customer_events
from crm_proto.crm.identity.v1 import events_pb2 as identity_events
from crm_proto.crm.marketing.v1 import events_pb2 as marketing_events
from crm_proto.crm.partner.v1 import events_pb2 as partner_events
from crm_proto.crm.partner.v1 import partner_pb2

from crm_sales.adapters.messages import ACTOR_KINDS
from crm_sales.adapters.unit_of_work import SqlUnitOfWork
from crm_sales.config import SERVICE_NAME
from crm_sales.domain.leads import Contact
from crm_sales.domain.orders import Holder
from crm_sales.domain.teams import CompanySize, LeadSource
from crm_sales.domain.values import Actor
from crm_sales.service_layer.customer_merges import move_to_survivor
from crm_sales.service_layer.leads import LeadHandlers

HANDLERS = EventHandlers[SqlUnitOfWork](SERVICE_NAME)
CONSENTS = (
    ("consent_email", "consent:email"),
    ("consent_sms", "consent:sms"),
    ("consent_phone", "consent:phone"),
)


def _actor(message: marketing_events.LeadCaptured | customer_events.CustomerMerged) -> Actor:
    return Actor(
        message.actor.subject or "system", ACTOR_KINDS.required(message.actor.kind, "actor.kind")
    )


def _lead_captured(
    uow: SqlUnitOfWork, message: marketing_events.LeadCaptured, event: Event
) -> None:
    size = message.company_size.strip().lower()
    LeadHandlers(uow_factory=lambda: uow).create_in(
        uow,
        _actor(message),
        source=LeadSource.CAMPAIGN if message.campaign_id else LeadSource.WEB,
        campaign_id=message.campaign_id,
        contact=Contact(
            name=message.name,
            company=message.company,
            email=message.email,
            phone=message.phone,
            region=message.region,
            city=message.city,
            company_size=CompanySize(size) if size in set(CompanySize) else None,
        ),
        notes=f"Captured by form {message.form_id}" if message.form_id else "",
        tags=[tag for flag, tag in CONSENTS if getattr(message, flag)],
        owner_id=None,
        capture_id=UUID(message.lead_id),
    )


def _customer_merged(
    uow: SqlUnitOfWork, message: customer_events.CustomerMerged, event: Event
) -> None:
    move_to_survivor(
        uow, _actor(message), datetime.now(UTC), UUID(message.merged_id), UUID(message.survivor.id)
    )


def _account_changed(
    uow: SqlUnitOfWork, message: identity_events.AccountChanged, event: Event
) -> None:
    uow.staff_accounts.record(message.user_id, disabled=message.disabled, version=message.version)


# every step of an outsourcing says who holds the work after it
PartnerStep = (
    partner_events.AssignmentOffered
    | partner_events.AssignmentAccepted
    | partner_events.AssignmentDeclined
    | partner_events.AssignmentExpired
    | partner_events.AssignmentUnplaced
    | partner_events.AssignmentWithdrawn
    | partner_events.AssignmentCompleted
)
HOLDER_STATUSES = {
    partner_pb2.ASSIGNMENT_STATE_OFFERED: "offered",
    partner_pb2.ASSIGNMENT_STATE_ACCEPTED: "accepted",
    partner_pb2.ASSIGNMENT_STATE_UNPLACED: "unplaced",
    partner_pb2.ASSIGNMENT_STATE_WITHDRAWN: "withdrawn",
    partner_pb2.ASSIGNMENT_STATE_COMPLETED: "completed",
}


def _assignment_step(uow: SqlUnitOfWork, message: PartnerStep, event: Event) -> None:
    assignment = message.assignment
    if assignment.work_kind != partner_pb2.WORK_KIND_ORDER:
        return  # sales shows the holder on its orders only
    holder = Holder(
        assignment_id=UUID(assignment.id),
        partner_id=UUID(assignment.partner_id) if assignment.partner_id else None,
        partner_name=assignment.partner_name,
        status=HOLDER_STATUSES.get(assignment.state, "unplaced"),
        since=assignment.updated_at.ToDatetime(tzinfo=UTC),
    )
    uow.order_holders.record(UUID(assignment.work_id), holder, message.version)


HANDLERS.on(marketing_events.LeadCaptured, _lead_captured)
HANDLERS.on(identity_events.AccountChanged, _account_changed)
HANDLERS.on(customer_events.CustomerMerged, _customer_merged)
# the customer's erasure: their orders', leads', deals', activities' and quotes' personal data
on_customer_erased(HANDLERS, SERVICE_NAME, anonymize_records)
HANDLERS.on(partner_events.AssignmentOffered, _assignment_step)
HANDLERS.on(partner_events.AssignmentAccepted, _assignment_step)
HANDLERS.on(partner_events.AssignmentDeclined, _assignment_step)
HANDLERS.on(partner_events.AssignmentExpired, _assignment_step)
HANDLERS.on(partner_events.AssignmentUnplaced, _assignment_step)
HANDLERS.on(partner_events.AssignmentWithdrawn, _assignment_step)
HANDLERS.on(partner_events.AssignmentCompleted, _assignment_step)
