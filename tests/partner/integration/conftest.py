"""A migrated partner database (PostgreSQL and SQLite) and a real partner gRPC server in this
process, verifying tokens signed with the test key, on a clock the test moves (`clock`) and a
working calendar around the clock, so that deadlines do not depend on the day of the run."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from crm_partner.adapters.geocoding import GeoNamesGeocoder
from crm_partner.adapters.unit_of_work import SqlUnitOfWork
from crm_partner.config import MIGRATIONS_DIR, SERVICE_NAME
from crm_partner.entrypoints import grpc_api
from crm_partner.entrypoints.authorization import POLICY
from crm_partner.service_layer.campaigns import CampaignHandlers
from crm_partner.service_layer.directory import DirectoryHandlers
from crm_partner.service_layer.outsourcing import AnswerTerms, OutsourcingHandlers
from crm_partner.service_layer.registrations import RegistrationHandlers
from crm_platform.calendar import CalendarSpec, WorkingCalendar, parse_hours
from crm_platform.db import build_engine, ping
from crm_platform.migrations import upgrade
from crm_platform.service import unit_of_work_factory
from crm_platform.testing.grpc_servers import serving
from crm_proto.crm.partner.v1 import partner_pb2_grpc
from sqlalchemy import Engine

ANSWER_MINUTES = 60
GEOCODER = GeoNamesGeocoder()  # loaded once for the session's tests


class Clock:
    """Now, moved forward by the test."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    upgrade(MIGRATIONS_DIR, database_url)
    engine = build_engine(database_url, pool_size=4)
    yield engine
    engine.dispose()


def unit_of_work(engine: Engine) -> Callable[[], SqlUnitOfWork]:
    return unit_of_work_factory(SqlUnitOfWork, engine, SERVICE_NAME)


@pytest.fixture
def outsourcing(engine: Engine, clock: Clock) -> OutsourcingHandlers:
    calendar = WorkingCalendar(CalendarSpec("UTC", parse_hours("mon-sun 00:00-24:00")))
    return OutsourcingHandlers(
        unit_of_work(engine), GEOCODER, AnswerTerms(calendar, ANSWER_MINUTES), clock
    )


@pytest.fixture
def target(engine: Engine, clock: Clock, outsourcing: OutsourcingHandlers) -> Iterator[str]:
    uow = unit_of_work(engine)
    servicer = grpc_api.PartnerServicer(
        DirectoryHandlers(uow, GEOCODER, clock),
        outsourcing,
        RegistrationHandlers(uow, clock),
        CampaignHandlers(uow, clock),
    )
    with serving([grpc_api.binding(servicer)], POLICY, database=lambda: ping(engine)) as target:
        yield target


@pytest.fixture
def stub(target: str) -> Iterator[partner_pb2_grpc.PartnerServiceStub]:
    channel = grpc.insecure_channel(target)
    try:
        grpc.channel_ready_future(channel).result(timeout=10)
        yield partner_pb2_grpc.PartnerServiceStub(channel)
    finally:
        channel.close()
