"""The caller of a gRPC method as the partner domain knows it, from the principal the chassis
authenticated for the call."""

from __future__ import annotations

from uuid import UUID

from crm_platform import context

from crm_partner.adapters.messages import ACTOR_KINDS
from crm_partner.domain.values import Actor


def caller() -> Actor:
    principal = context.principal.get()
    partner_id = principal.partner_id
    return Actor(
        subject=principal.subject,
        kind=ACTOR_KINDS.required(principal.kind, "actor.kind"),
        roles=principal.roles,
        partner_id=None if not partner_id else UUID(partner_id),
    )
