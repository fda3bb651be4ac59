"""The analytics unit of work: one transaction over the read model, the segments, the inbox
and the outbox (segment and membership events)."""

from __future__ import annotations

from typing import Self

from crm_platform.privacy import SqlErasureLog, SqlPersonalRecords
from crm_platform.uow import UnitOfWork
from crm_proto.crm.common.v1 import common_pb2
from google.protobuf.message import Message

from crm_analytics.adapters import event_mapping
from crm_analytics.adapters.orm import personal_data_erasures
from crm_analytics.adapters.privacy_repository import personal_records
from crm_analytics.adapters.repository import CustomerFactsRepository
from crm_analytics.adapters.rfm_repository import RfmRepository
from crm_analytics.adapters.segment_repository import MembershipRepository, SegmentRepository
from crm_analytics.adapters.value_repository import ValueRepository
from crm_analytics.domain.rule_segments import MembershipChanges


class AnalyticsUnitOfWork(UnitOfWork):
    customers: CustomerFactsRepository
    value: ValueRepository
    rfm: RfmRepository
    segments: SegmentRepository
    memberships: MembershipRepository
    membership_changes: MembershipChanges
    erasures: SqlErasureLog
    personal_data: SqlPersonalRecords

    def __enter__(self) -> Self:
        super().__enter__()
        self.customers = CustomerFactsRepository(self.session)
        self.value = ValueRepository(self.session)
        self.rfm = RfmRepository(self.session)
        self.segments = SegmentRepository(self.session, self.track)
        self.memberships = MembershipRepository(self.session)
        self.membership_changes = MembershipChanges()
        self.erasures = SqlErasureLog(self.session, personal_data_erasures)
        self.personal_data = personal_records(self.session)
        self.track(self.membership_changes)
        return self

    def outbox_message(self, event: object, actor: common_pb2.Actor) -> tuple[Message, str]:
        return event_mapping.to_message(event, actor)
