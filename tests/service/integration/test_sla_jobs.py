"""The SLA jobs role against a real database: a case's first-response clock warns, then
breaches and escalates, each once, its events in the outbox with the claim on the clock's row;
a restart (a new monitor on a new engine) sends none again, and a second evaluator holding a
stale copy claims nothing."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from crm_platform.calendar import CalendarSpec, parse_hours
from crm_platform.db import build_engine
from crm_platform.errors import Conflict
from crm_platform.events import decode
from crm_platform.migrations import upgrade
from crm_platform.tables import outbox
from crm_proto.crm.service.v1 import events_pb2
from crm_service.adapters.calendars import HolidayCalendars
from crm_service.adapters.orm import sla_clocks
from crm_service.adapters.unit_of_work import SqlUnitOfWork
from crm_service.config import MIGRATIONS_DIR
from crm_service.domain.cases import Case, CaseDetails, CasePriority, CaseType, Contact
from crm_service.domain.clocks import ClockKind
from crm_service.domain.routing import Agent, Team
from crm_service.domain.sla import SlaPolicy, Target
from crm_service.domain.values import Actor, ActorKind
from crm_service.service_layer.cases import CaseHandlers
from crm_service.service_layer.sla import SlaMonitor, SlaTerms
from sqlalchemy import Engine

from tests.service.integration.conftest import KnownContacts, unit_of_work

pytestmark = pytest.mark.integration

OPENED = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
TERMS = SlaTerms(
    SlaPolicy((Target(60, 6000),)),
    CalendarSpec("UTC", parse_hours("mon-sun 00:00-24:00")),
    HolidayCalendars(),
)
MANAGER = Actor("manager-7", ActorKind.STAFF, frozenset({"manager"}))
EVENTS = ("SlaWarning", "SlaBreached", "CaseEscalated")


class Clock:
    def __init__(self) -> None:
        self.now = OPENED

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def postgres_engine(postgres_url: str) -> Iterator[Engine]:
    upgrade(MIGRATIONS_DIR, postgres_url)
    engine = build_engine(postgres_url, pool_size=4)
    yield engine
    engine.dispose()


def staffed(uow_factory: Callable[[], SqlUnitOfWork]) -> str:
    """A team with its manager and one available agent, who gets every new case."""
    agent_id = f"agent-{uuid.uuid4().hex[:8]}"
    team = Team(uuid.uuid4(), f"Aftercare {agent_id}", MANAGER.subject, 1, OPENED)
    with uow_factory() as uow:
        uow.routing.add_team(team)
        uow.routing.put_agent(Agent(agent_id, team.id, frozenset(), 5, True, 1, OPENED))
        uow.commit()
    return agent_id


def open_case(uow_factory: Callable[[], SqlUnitOfWork], clock: Clock, agent_id: str) -> Case:
    actor = Actor(agent_id, ActorKind.STAFF, frozenset({"service_agent"}))
    handlers = CaseHandlers(uow_factory, KnownContacts(), clock=clock, sla=TERMS)
    details = CaseDetails(CaseType.COMPLAINT, CasePriority.HIGH, "Sofa arrived scratched")
    return handlers.open(actor, details=details, channel=None, contact=Contact(email="q@x.cn"))


def published(engine: Engine, case_id: uuid.UUID) -> list[str]:
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(outbox.c.event_type)
            .where(outbox.c.subject == str(case_id))
            .order_by(outbox.c.seq)
        )
        names = [row.event_type.rsplit(".", 1)[-1] for row in rows]
    return [name for name in names if name in EVENTS]


def test_warning_then_breach_once_each_across_a_restart(
    postgres_engine: Engine, postgres_url: str
) -> None:
    clock = Clock()
    uow = unit_of_work(postgres_engine)
    agent_id = staffed(uow)
    case = open_case(uow, clock, agent_id)
    assert case.owner_id == agent_id
    monitor = SlaMonitor(uow, TERMS, warning_share=0.8, clock=clock)

    clock.now = OPENED + timedelta(minutes=49)
    monitor.evaluate()
    monitor.evaluate()
    assert published(postgres_engine, case.id) == ["SlaWarning"]

    # the process restarts: a new engine, a new monitor, the state is the database's
    restarted_engine = build_engine(postgres_url, pool_size=2)
    restarted = SlaMonitor(unit_of_work(restarted_engine), TERMS, warning_share=0.8, clock=clock)
    restarted.evaluate()
    assert published(postgres_engine, case.id) == ["SlaWarning"]

    clock.now = OPENED + timedelta(minutes=61)
    restarted.evaluate()
    monitor.evaluate()
    restarted.evaluate()
    assert published(postgres_engine, case.id) == ["SlaWarning", "SlaBreached", "CaseEscalated"]
    restarted_engine.dispose()

    with postgres_engine.connect() as connection:
        row = connection.execute(
            sa.select(outbox.c.payload).where(
                outbox.c.subject == str(case.id), outbox.c.event_type.like("%CaseEscalated")
            )
        ).one()
        clock_row = connection.execute(
            sa.select(sla_clocks).where(
                sla_clocks.c.case_id == case.id, sla_clocks.c.kind == "first_response"
            )
        ).one()
    escalated = decode(row.payload).message
    assert isinstance(escalated, events_pb2.CaseEscalated)
    assert escalated.manager_id == MANAGER.subject
    assert escalated.case.escalated
    assert escalated.actor.subject  # the jobs role's principal
    assert clock_row.warned_at is not None
    assert clock_row.breached_at is not None


def test_a_stale_copy_claims_nothing(postgres_engine: Engine) -> None:
    clock = Clock()
    uow = unit_of_work(postgres_engine)
    case = open_case(uow, clock, staffed(uow))
    clock.now = OPENED + timedelta(minutes=50)
    with uow() as first, uow() as second:
        mine, theirs = first.cases.get(case.id), second.cases.get(case.id)
        assert mine is not None
        assert theirs is not None
        views = {view.kind: view for view in TERMS.views(mine, clock.now)}
        mine.record_warning(views[ClockKind.FIRST_RESPONSE], clock.now)
        first.cases.save(mine)
        first.commit()
        theirs.record_warning(views[ClockKind.FIRST_RESPONSE], clock.now)
        with pytest.raises(Conflict):
            second.cases.save(theirs)
    assert published(postgres_engine, case.id) == ["SlaWarning"]
