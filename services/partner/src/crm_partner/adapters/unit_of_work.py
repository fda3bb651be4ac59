"""The partner service's unit of work: the chassis transaction plus its repositories, whose
aggregates' events the chassis writes to the outbox at commit."""

from __future__ import annotations

from typing import Any, Self

from crm_platform.uow import UnitOfWork
from crm_proto.crm.common.v1 import common_pb2
from google.protobuf.message import Message

from crm_partner.adapters.event_mapping import to_message
from crm_partner.adapters.repositories import (
    SqlAssignments,
    SqlCampaigns,
    SqlPartners,
    SqlRegistrations,
)


class SqlUnitOfWork(UnitOfWork):
    partners: SqlPartners
    assignments: SqlAssignments
    registrations: SqlRegistrations
    campaigns: SqlCampaigns

    def __enter__(self) -> Self:
        super().__enter__()
        self.partners = SqlPartners(self.session, self.track)
        self.assignments = SqlAssignments(self.session, self.track)
        self.registrations = SqlRegistrations(self.session, self.track)
        self.campaigns = SqlCampaigns(self.session, self.track)
        return self

    def outbox_message(self, event: Any, actor: common_pb2.Actor) -> tuple[Message, str]:
        # every event is about one aggregate (a partner, an assignment, ...): its subject
        return to_message(event, actor), str(event.subject_id)
