"""The caller of a gRPC method as the sales domain knows it, from the principal the chassis
authenticated for the call: every servicer of the service starts from it."""

from __future__ import annotations

from uuid import UUID

from crm_platform import context

from crm_sales.adapters.messages import ACTOR_KINDS
from crm_sales.domain.values import Actor


def caller() -> Actor:
    """The caller as the chassis authenticated it for this call."""
    principal = context.principal.get()
    customer_id, partner_id = principal.customer_id, principal.partner_id
    return Actor(
        subject=principal.subject,
        kind=ACTOR_KINDS.required(principal.kind, "actor.kind"),
        roles=principal.roles,
        customer_id=None if not customer_id else UUID(customer_id),
        partner_id=None if not partner_id else UUID(partner_id),
    )
