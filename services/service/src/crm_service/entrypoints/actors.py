"""The caller of a gRPC method as the service's domain knows it, from the principal the
chassis authenticated for the call."""

from __future__ import annotations

from uuid import UUID

from crm_platform import context

from crm_service.adapters.messages import ACTOR_KINDS
from crm_service.domain.values import Actor


def caller() -> Actor:
    principal = context.principal.get()
    customer_id = principal.customer_id
    return Actor(
        subject=principal.subject,
        kind=ACTOR_KINDS.required(principal.kind, "actor.kind"),
        roles=principal.roles,
        customer_id=None if not customer_id else UUID(customer_id),
    )
