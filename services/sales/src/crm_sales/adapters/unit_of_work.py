"""The sales service's unit of work: the chassis transaction plus its repositories, whose
aggregates' events the chassis writes to the outbox at commit."""

from __future__ import annotations

from typing import Any, Self

from crm_platform.uow import UnitOfWork
from crm_proto.crm.common.v1 import common_pb2
from google.protobuf.message import Message

from crm_sales.adapters.event_mapping import to_message
from crm_sales.adapters.repository import SqlIdempotencyKeys, SqlOrderRepository
from crm_sales.adapters.teams import SqlTeamDirectory


class SqlUnitOfWork(UnitOfWork):
    orders: SqlOrderRepository
    idempotency_keys: SqlIdempotencyKeys
    teams: SqlTeamDirectory

    def __enter__(self) -> Self:
        super().__enter__()
        self.orders = SqlOrderRepository(self.session, self.track)
        self.idempotency_keys = SqlIdempotencyKeys(self.session)
        self.teams = SqlTeamDirectory(self.session)
        return self

    def outbox_message(self, event: Any, actor: common_pb2.Actor) -> tuple[Message, str]:
        # every event is about one aggregate (an order, a lead, ...): its subject
        return to_message(event, actor), str(event.subject_id)
