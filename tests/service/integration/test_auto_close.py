"""Auto-close on PostgreSQL and SQLite: a case resolved longer ago than the setting closes by
itself with one CaseStatusChanged (actor the sla role); a second look, as after a restart,
closes nothing again, and a case resolved lately stays resolved."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from crm_platform import context
from crm_proto.crm.service.v1 import cases_pb2, events_pb2
from crm_service.domain.cases import CaseDetails, CasePriority, CaseStatus, CaseType, Contact
from crm_service.domain.values import Actor, ActorKind
from crm_service.entrypoints.sla_jobs import SLA_JOBS
from crm_service.service_layer.cases import CaseHandlers
from crm_service.service_layer.closing import AutoClose
from sqlalchemy import Engine

from tests.customer.integration.support import outbox_events
from tests.service.integration.conftest import KnownContacts, unit_of_work

pytestmark = pytest.mark.integration

ADMIN = Actor("admin-1", ActorKind.STAFF, frozenset({"admin"}))
START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


class Clock:
    now = START

    def __call__(self) -> datetime:
        return self.now


def test_resolved_cases_close_by_themselves_once(engine: Engine) -> None:
    clock = Clock()
    uow = unit_of_work(engine)
    cases = CaseHandlers(uow, KnownContacts(), clock=clock)
    details = CaseDetails(CaseType.INQUIRY, CasePriority.NORMAL, "Opening hours?")
    ids = []
    for resolved_days_ago in (8, 2):
        clock.now = START - timedelta(days=resolved_days_ago)
        case = cases.open(ADMIN, details=details, channel=None, contact=Contact("a@b.cn"))
        cases.assign(ADMIN, case.id, 0, "agent-1")
        cases.change(ADMIN, case.id, 0, lambda c, who, now: c.resolve(who, now, "Answered"))
        ids.append(case.id)
    closer = AutoClose(uow, timedelta(days=7), clock=lambda: START)

    with context.acting_as(SLA_JOBS):  # as the sla role runs it
        assert closer.close_due() == 1
        assert closer.close_due() == 0  # a second look, as after a restart
    old, recent = (cases.get(ADMIN, case_id) for case_id in ids)
    assert (old.status, old.closed_at, recent.status) == (
        CaseStatus.CLOSED, START, CaseStatus.RESOLVED,
    )  # fmt: skip
    closings = [
        event.message
        for event in outbox_events(engine)
        if isinstance(event.message, events_pb2.CaseStatusChanged)
        and event.message.to_status == cases_pb2.CASE_STATUS_CLOSED
    ]
    assert [(e.case.id, e.reason, e.actor.subject) for e in closings] == [
        (str(ids[0]), "auto-closed", "service-sla")
    ]
