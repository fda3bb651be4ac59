"""Domain events -> the protobuf events published on crm.events (crm.identity.v1.*)."""

from __future__ import annotations

from crm_platform.enums import EnumCodec
from crm_proto.crm.common.v1 import common_pb2
from crm_proto.crm.identity.v1 import events_pb2, identity_pb2
from google.protobuf.timestamp_pb2 import Timestamp

from crm_identity.domain.model import AccountChanged, AccountKind

KINDS = EnumCodec(AccountKind, identity_pb2.AccountKind)


def to_message(event: AccountChanged, actor: common_pb2.Actor) -> events_pb2.AccountChanged:
    changed_at = Timestamp()
    changed_at.FromDatetime(event.changed_at)
    return events_pb2.AccountChanged(
        user_id=str(event.user_id),
        kind=KINDS.to_proto(event.kind),
        roles=sorted(role.value for role in event.roles),
        disabled=event.disabled,
        partner_id=event.partner_id or "",
        changed_at=changed_at,
        version=event.version,
        actor=actor,
    )
