"""The caller of a gRPC method as the marketing domain knows it, from the principal the chassis
authenticated for the call."""

from __future__ import annotations

from crm_platform import context

from crm_marketing.adapters.messages import ACTOR_KINDS
from crm_marketing.domain.values import Actor


def caller() -> Actor:
    principal = context.principal.get()
    return Actor(
        subject=principal.subject,
        kind=ACTOR_KINDS.required(principal.kind, "actor.kind"),
        roles=principal.roles,
    )
