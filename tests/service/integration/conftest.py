"""A migrated service database (PostgreSQL and SQLite) and a real service gRPC server in this
process, verifying tokens signed with the test key. Each call names its own token: staff by
role, or a customer by id. The customer service behind recognition is `customers`, a table of
contacts (tests/system run the real one)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from email.utils import make_msgid

import grpc
import pytest
from crm_platform.access import policy_of
from crm_platform.db import build_engine, ping
from crm_platform.errors import Unavailable
from crm_platform.migrations import upgrade
from crm_platform.service import unit_of_work_factory
from crm_platform.testing.grpc_servers import serving
from crm_proto.crm.service.v1 import (
    cases_pb2_grpc,
    knowledge_pb2_grpc,
    routing_pb2_grpc,
    sla_pb2_grpc,
)
from crm_service.adapters.calendars import HolidayCalendars
from crm_service.adapters.survey_links import SignedSurveyLinks
from crm_service.adapters.unit_of_work import SqlUnitOfWork
from crm_service.config import MIGRATIONS_DIR, SERVICE_NAME
from crm_service.domain.cases import Contact, CustomerRecognition, Recognized
from crm_service.entrypoints import grpc_api, knowledge_api, routing_api, sla_api, surveys_api
from crm_service.service_layer.care import CareHandlers
from crm_service.service_layer.cases import CaseHandlers
from crm_service.service_layer.knowledge import KnowledgeHandlers
from crm_service.service_layer.outbound import Outbound
from crm_service.service_layer.routing import RoutingHandlers
from crm_service.service_layer.sla import AgreementHandlers, SlaTerms
from crm_service.service_layer.surveys import SurveyHandlers
from sqlalchemy import Engine

LINKS = SignedSurveyLinks("https://crm.example.com", "integration-test-survey-secret")


class KnownContacts(dict[str, Recognized]):
    """Email or phone -> who the customer service says it is; `down`: it answers nothing."""

    down = False

    def recognize(self, contact: Contact) -> Recognized:
        if self.down:
            raise Unavailable("the customer service is unavailable")
        for key in (contact.email, contact.phone):
            if key in self:
                return self[key]
        return Recognized(CustomerRecognition.NEW, None)


@pytest.fixture
def customers() -> KnownContacts:
    return KnownContacts()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    upgrade(MIGRATIONS_DIR, database_url)
    engine = build_engine(database_url, pool_size=4)
    yield engine
    engine.dispose()


def unit_of_work(engine: Engine) -> Callable[[], SqlUnitOfWork]:
    return unit_of_work_factory(SqlUnitOfWork, engine, SERVICE_NAME)


@pytest.fixture
def target(engine: Engine, customers: KnownContacts) -> Iterator[str]:
    """The address of a service gRPC server over `engine`, serving cases, routing, the
    knowledge base and the service agreements (the default policy's calendar: the
    service's default, UTC office hours)."""
    uow = unit_of_work(engine)
    terms = SlaTerms(calendars=HolidayCalendars())
    outbound = Outbound(make_msgid, LINKS)
    bindings = [
        grpc_api.binding(CaseHandlers(uow, customers, sla=terms, outbound=outbound)),
        surveys_api.binding(SurveyHandlers(uow, LINKS)),
        surveys_api.care_binding(CareHandlers(uow)),
        routing_api.binding(RoutingHandlers(uow)),
        sla_api.binding(AgreementHandlers(uow, terms)),
        knowledge_api.binding(KnowledgeHandlers(uow)),
    ]
    policy = policy_of(
        grpc_api.SERVICE,
        routing_api.SERVICE,
        sla_api.SERVICE,
        knowledge_api.SERVICE,
        surveys_api.SERVICE,
        surveys_api.CARE,
    )
    with serving(bindings, policy, database=lambda: ping(engine)) as target:
        yield target


@pytest.fixture
def channel(target: str) -> Iterator[grpc.Channel]:
    """Calls without a token: each call sends its caller's (`metadata=bearer(token)`)."""
    channel = grpc.insecure_channel(target)
    try:
        grpc.channel_ready_future(channel).result(timeout=10)
        yield channel
    finally:
        channel.close()


@pytest.fixture
def stub(channel: grpc.Channel) -> cases_pb2_grpc.CaseServiceStub:
    return cases_pb2_grpc.CaseServiceStub(channel)


@pytest.fixture
def routing(channel: grpc.Channel) -> routing_pb2_grpc.RoutingServiceStub:
    return routing_pb2_grpc.RoutingServiceStub(channel)


@pytest.fixture
def agreements(channel: grpc.Channel) -> sla_pb2_grpc.AgreementServiceStub:
    return sla_pb2_grpc.AgreementServiceStub(channel)


@pytest.fixture
def knowledge(channel: grpc.Channel) -> knowledge_pb2_grpc.KnowledgeServiceStub:
    return knowledge_pb2_grpc.KnowledgeServiceStub(channel)
