"""The service's unit of work: the chassis transaction plus its repositories, whose
aggregates' events the chassis writes to the outbox at commit."""

from __future__ import annotations

from typing import Any, Self

from crm_platform.privacy import SqlErasureLog, SqlPersonalRecords
from crm_platform.uow import UnitOfWork
from crm_proto.crm.common.v1 import common_pb2
from google.protobuf.message import Message

from crm_service.adapters.agreements_repository import SqlAgreements
from crm_service.adapters.article_search import PostgresArticleSearch, SqliteArticleSearch
from crm_service.adapters.care_repository import SqlCareTasks
from crm_service.adapters.cases_repository import SqlCaseRepository
from crm_service.adapters.contacts_repository import SqlCustomerContacts
from crm_service.adapters.event_mapping import to_message
from crm_service.adapters.knowledge_repository import SqlKnowledge
from crm_service.adapters.orm import personal_data_erasures
from crm_service.adapters.outbound_repository import SqlOutboundMailbox
from crm_service.adapters.privacy_repository import personal_records
from crm_service.adapters.routing_repository import SqlRouting, SqlTeamDirectory
from crm_service.adapters.surveys_repository import SqlSurveys


class SqlUnitOfWork(UnitOfWork):
    cases: SqlCaseRepository
    teams: SqlTeamDirectory
    routing: SqlRouting
    agreements: SqlAgreements
    knowledge: SqlKnowledge
    search: PostgresArticleSearch | SqliteArticleSearch
    outbound: SqlOutboundMailbox
    contacts: SqlCustomerContacts
    surveys: SqlSurveys
    care: SqlCareTasks
    erasures: SqlErasureLog
    personal_data: SqlPersonalRecords

    def __enter__(self) -> Self:
        super().__enter__()
        self.cases = SqlCaseRepository(self.session, self.track)
        self.teams = SqlTeamDirectory(self.session)
        self.routing = SqlRouting(self.session)
        self.agreements = SqlAgreements(self.session)
        self.knowledge = SqlKnowledge(self.session)
        self.outbound = SqlOutboundMailbox(self.session)
        self.contacts = SqlCustomerContacts(self.session)
        self.surveys = SqlSurveys(self.session, self.track)
        self.care = SqlCareTasks(self.session, self.track)
        self.erasures = SqlErasureLog(self.session, personal_data_erasures)
        self.personal_data = personal_records(self.session)
        postgres = self.session.get_bind().dialect.name == "postgresql"
        self.search = (PostgresArticleSearch if postgres else SqliteArticleSearch)(self.session)
        return self

    def outbox_message(self, event: Any, actor: common_pb2.Actor) -> tuple[Message, str]:
        # every event is about one case: its subject
        return to_message(event, actor), str(event.subject_id)
