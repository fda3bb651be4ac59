"""SLA on fakes: policies pick the most specific target, a case falls under its customer's (or
its order's) agreement or the default policy; its clocks count business minutes, pause while
it waits on the customer or lies resolved and stop at the first reply and the resolution; the
jobs role's look warns and breaches once each and escalates to the owner's team's manager."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from crm_platform.calendar import CalendarSpec, parse_hours
from crm_platform.errors import PermissionDenied, ValidationFailed
from crm_service.domain import cases as events
from crm_service.domain.cases import Case, CaseDetails, CasePriority, CaseType, Contact, Recognized
from crm_service.domain.cases import CustomerRecognition as Recognition
from crm_service.domain.clocks import ClockKind, ClockState, ClockView
from crm_service.domain.routing import Agent, Team
from crm_service.domain.sla import SlaPolicy, Target
from crm_service.service_layer.cases import CaseHandlers
from crm_service.service_layer.sla import AgreementHandlers, SlaMonitor, SlaTerms

from tests.service.unit.fakes import (
    AGENT,
    CUSTOMER,
    CUSTOMER_ID,
    MANAGER,
    NOW,
    Clock,
    FakeCustomers,
    FakeStore,
    FakeUnitOfWork,
)

ALWAYS = CalendarSpec("UTC", parse_hours("mon-sun 00:00-24:00"))
OFFICE = CalendarSpec("Asia/Shanghai", parse_hours("mon-fri 09:00-17:00"), "CN")
TERMS = SlaTerms(SlaPolicy((Target(60, 600),)), ALWAYS)
COMPLAINT = CaseDetails(CaseType.COMPLAINT, CasePriority.HIGH, "Sofa arrived scratched")


@pytest.fixture
def store() -> FakeStore:
    store = FakeStore()
    team = Team(uuid.uuid4(), "Aftercare", MANAGER.subject, 1, NOW)
    store.teams_by_id[team.id] = team
    store.agents[AGENT.subject] = Agent(AGENT.subject, team.id, frozenset(), 5, True, 1, NOW)
    return store


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def handlers(store: FakeStore, clock: Clock) -> CaseHandlers:
    customers = FakeCustomers()
    customers.known["qian@example.cn"] = Recognized(Recognition.RETURNING, CUSTOMER_ID)
    return CaseHandlers(lambda: FakeUnitOfWork(store), customers, clock=clock, sla=TERMS)


@pytest.fixture
def monitor(store: FakeStore, clock: Clock) -> SlaMonitor:
    return SlaMonitor(lambda: FakeUnitOfWork(store), TERMS, warning_share=0.8, clock=clock)


@pytest.fixture
def agreements(store: FakeStore, clock: Clock) -> AgreementHandlers:
    return AgreementHandlers(lambda: FakeUnitOfWork(store), TERMS, clock)


def opened(handlers: CaseHandlers, details: CaseDetails = COMPLAINT) -> Case:
    return handlers.open(
        AGENT, details=details, channel=None, contact=Contact(email="qian@example.cn")
    )


def views(handlers: CaseHandlers, case: Case) -> dict[ClockKind, ClockView]:
    current = handlers.get(AGENT, case.id)
    return {view.kind: view for view in handlers.clock_views(current)}


def test_the_most_specific_target_applies() -> None:
    policy = SlaPolicy(
        (
            Target(240, 2400),
            Target(120, 1200, priority=CasePriority.HIGH),
            Target(180, 1800, case_type=CaseType.COMPLAINT),
            Target(30, 300, case_type=CaseType.COMPLAINT, priority=CasePriority.URGENT),
        )
    ).checked()
    assert policy.target_for(CaseType.COMPLAINT, CasePriority.URGENT).first_response_minutes == 30
    assert policy.target_for(CaseType.COMPLAINT, CasePriority.HIGH).first_response_minutes == 180
    assert policy.target_for(CaseType.INQUIRY, CasePriority.HIGH).first_response_minutes == 120
    assert policy.target_for(CaseType.INQUIRY, CasePriority.LOW).first_response_minutes == 240


def test_a_policy_needs_a_fallback_and_sane_targets() -> None:
    with pytest.raises(ValidationFailed) as refused:
        SlaPolicy((Target(0, 60, priority=CasePriority.HIGH),)).checked()
    assert {violation.field for violation in refused.value.violations} == {
        "policy.targets",
        "policy.targets[0].first_response_minutes",
    }


def test_a_case_falls_under_its_order_or_customer_agreement_else_the_default(
    handlers: CaseHandlers, agreements: AgreementHandlers
) -> None:
    general = agreements.create(
        MANAGER, customer_id=CUSTOMER_ID, order_ref="", name="Gold",
        policy=SlaPolicy((Target(30, 300),)), calendar=OFFICE,
    )  # fmt: skip
    order = agreements.create(
        MANAGER, customer_id=CUSTOMER_ID, order_ref="SO-7", name="Sofa warranty",
        policy=SlaPolicy((Target(15, 150),)), calendar=ALWAYS,
    )  # fmt: skip

    after_sales = CaseDetails(
        CaseType.AFTER_SALES, CasePriority.NORMAL, "Leg broke", order_ref="SO-7"
    )
    by_order = opened(handlers, after_sales)
    by_customer = opened(handlers)
    by_default = handlers.open(
        AGENT, details=COMPLAINT, channel=None, contact=Contact(email="new@example.cn")
    )

    assert [(c.agreement_id, c.kind, c.target_minutes, c.calendar) for c in by_order.clocks] == [
        (order.id, ClockKind.FIRST_RESPONSE, 15, ALWAYS),
        (order.id, ClockKind.RESOLUTION, 150, ALWAYS),
    ]
    assert by_customer.clocks[0].calendar == OFFICE
    assert {clock.agreement_id for clock in by_customer.clocks} == {general.id}
    assert {clock.target_minutes for clock in by_default.clocks} == {60, 600}
    assert {clock.agreement_id for clock in by_default.clocks} == {None}


def test_only_managers_set_agreements_and_bad_terms_change_nothing(
    agreements: AgreementHandlers, store: FakeStore
) -> None:
    terms = {"customer_id": CUSTOMER_ID, "order_ref": "", "calendar": ALWAYS}
    with pytest.raises(PermissionDenied):
        agreements.create(AGENT, name="Gold", policy=SlaPolicy((Target(30, 300),)), **terms)
    with pytest.raises(ValidationFailed) as refused:
        agreements.create(MANAGER, name=" ", policy=SlaPolicy(()), **terms)
    assert {violation.field for violation in refused.value.violations} == {
        "name",
        "policy.targets",
    }
    assert store.agreements == {}


def test_clocks_pause_while_waiting_on_the_customer_and_stop_at_reply_and_resolution(
    handlers: CaseHandlers, clock: Clock
) -> None:
    case = opened(handlers)
    clock.now += timedelta(minutes=10)
    handlers.add_message(AGENT, case.id, 0, body="Checking with the warehouse", internal=True)
    handlers.change(AGENT, case.id, 0, Case.start)
    handlers.change(AGENT, case.id, 0, Case.wait_on_customer)
    clock.now += timedelta(minutes=500)  # the customer takes their time: nothing counts
    paused = views(handlers, case)
    assert paused[ClockKind.FIRST_RESPONSE].elapsed_minutes == 10
    assert (paused[ClockKind.RESOLUTION].running, paused[ClockKind.RESOLUTION].target_at) == (
        False,
        None,
    )

    handlers.add_message(CUSTOMER, case.id, 0, body="Photos attached", internal=False)
    clock.now += timedelta(minutes=20)
    handlers.add_message(AGENT, case.id, 0, body="A new sofa is on its way", internal=False)
    clock.now += timedelta(minutes=30)
    running = views(handlers, case)
    first = running[ClockKind.FIRST_RESPONSE]
    assert (first.state, first.elapsed_minutes, first.stopped) == (ClockState.MET, 30, True)
    resolution = running[ClockKind.RESOLUTION]
    assert (resolution.state, resolution.elapsed_minutes, resolution.remaining_minutes) == (
        ClockState.ONGOING,
        60,
        540,
    )
    assert resolution.target_at == clock.now + timedelta(minutes=540)

    handlers.change(AGENT, case.id, 0, lambda c, a, now: c.resolve(a, now, "Replaced"))
    clock.now += timedelta(days=2)
    handlers.reopen(CUSTOMER, case.id, 0, "The new one is scratched too")
    clock.now += timedelta(minutes=5)
    # the days it lay resolved do not count; the clock goes on from where it stopped
    assert views(handlers, case)[ClockKind.RESOLUTION].elapsed_minutes == 65


def test_the_jobs_role_warns_then_breaches_once_and_escalates_to_the_team_manager(
    handlers: CaseHandlers, monitor: SlaMonitor, clock: Clock, store: FakeStore
) -> None:
    case = opened(handlers)
    assert case.owner_id == AGENT.subject  # routed to the only agent
    store.events.clear()

    clock.now += timedelta(minutes=47)
    assert monitor.evaluate() == 0
    clock.now += timedelta(minutes=1)  # 48 of 60: the warning share
    assert monitor.evaluate() == 1
    assert monitor.evaluate() == 0
    (warning,) = store.events
    assert isinstance(warning, events.SlaWarning)
    assert (warning.clock.kind, warning.clock.elapsed_minutes) == (ClockKind.FIRST_RESPONSE, 48)
    assert warning.clock.warned_at == clock.now

    clock.now += timedelta(minutes=12)
    assert monitor.evaluate() == 1
    assert monitor.evaluate() == 0
    kinds = [type(event) for event in store.events]
    assert kinds == [events.SlaWarning, events.SlaBreached, events.CaseEscalated]
    escalated = store.events[2]
    assert (escalated.manager_id, escalated.kind) == (MANAGER.subject, ClockKind.FIRST_RESPONSE)
    current = handlers.get(AGENT, case.id)
    assert (current.escalated, current.escalated_to) == (True, MANAGER.subject)
    assert escalated.version == current.version == case.version + 1
    first = {view.kind: view for view in handlers.clock_views(current)}[ClockKind.FIRST_RESPONSE]
    assert (first.state, first.breached_at) == (ClockState.BREACHED, clock.now)


def test_a_clock_past_its_target_at_one_look_is_warned_and_breached_in_order(
    handlers: CaseHandlers, monitor: SlaMonitor, clock: Clock, store: FakeStore
) -> None:
    opened(handlers)
    store.events.clear()
    clock.now += timedelta(hours=11)  # both clocks are past their targets

    assert monitor.evaluate() == 1

    kinds = [(type(event).__name__, getattr(event, "clock", None)) for event in store.events]
    assert [name for name, _ in kinds] == [
        "SlaWarning", "SlaBreached", "CaseEscalated", "SlaWarning", "SlaBreached",
    ]  # fmt: skip
    assert monitor.evaluate() == 0


def test_every_open_case_is_looked_at_a_batch_at_a_time(
    handlers: CaseHandlers, store: FakeStore, clock: Clock
) -> None:
    for _ in range(3):
        opened(handlers)
        clock.now += timedelta(seconds=1)
    monitor = SlaMonitor(
        lambda: FakeUnitOfWork(store), TERMS, warning_share=0.8, clock=clock, batch=2
    )
    clock.now += timedelta(minutes=50)

    assert monitor.evaluate() == 3

    warned = [event.subject_id for event in store.events if isinstance(event, events.SlaWarning)]
    assert sorted(warned) == sorted(store.cases)
