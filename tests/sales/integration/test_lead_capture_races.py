"""One person is one open lead, even when two captures of them commit at once: the unique
indexes over the open leads' contact keys decide the race on PostgreSQL, and the capture that
lost merges into the one that won."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from crm_platform.db import build_engine
from crm_platform.migrations import upgrade
from crm_platform.testing.processes import wait_until
from crm_sales.adapters import orm
from crm_sales.config import MIGRATIONS_DIR
from crm_sales.domain.leads import Contact, Lead
from crm_sales.domain.teams import LeadSource
from crm_sales.domain.values import Actor, ActorKind
from crm_sales.service_layer.leads import LeadHandlers
from sqlalchemy import Engine

from tests.customer.integration.support import outbox_events
from tests.sales.integration.conftest import unit_of_work
from tests.sales.integration.test_leads_grpc import Customers

MARKETING = Actor("marketing", ActorKind.SERVICE)


@pytest.fixture
def postgres_engine(postgres_url: str) -> Iterator[Engine]:
    upgrade(MIGRATIONS_DIR, postgres_url)
    engine = build_engine(postgres_url, pool_size=4)
    yield engine
    engine.dispose()


def waiting_on_a_lock(engine: Engine) -> bool:
    with engine.connect() as connection:
        waiting = connection.execute(
            sa.text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        ).scalar_one()
    return bool(waiting)


def test_two_captures_of_one_person_at_once_make_one_lead(postgres_engine: Engine) -> None:
    handlers = LeadHandlers(unit_of_work(postgres_engine), Customers())
    first_inserted, release_first = threading.Event(), threading.Event()
    made: dict[str, Lead] = {}

    def first() -> None:
        # captured and inserted, not yet committed when the second capture runs
        with handlers.uow_factory() as uow:
            made["first"] = handlers.create_in(
                uow, MARKETING, source=LeadSource.WEB, campaign_id="",
                contact=Contact(name="Li Wei", email="li@acme.cn"), notes="", tags=["tables"],
                owner_id=None,
            )  # fmt: skip
            first_inserted.set()
            release_first.wait(timeout=30)
            uow.commit()

    def second() -> None:
        made["second"] = handlers.create(
            MARKETING, source=LeadSource.CAMPAIGN, campaign_id="",
            contact=Contact(name="Li", email="LI@acme.cn", phone="+8613800000000"), notes="",
            tags=["chairs"], owner_id=None,
        )  # fmt: skip

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    threads[0].start()
    assert first_inserted.wait(timeout=30)
    threads[1].start()
    # the second capture found no open lead and now waits on the first one's index entry
    wait_until(lambda: waiting_on_a_lock(postgres_engine), timeout=30, what="the second capture")
    release_first.set()
    for thread in threads:
        thread.join(timeout=30)

    assert made["second"].id == made["first"].id
    with postgres_engine.connect() as connection:
        lead_ids = connection.execute(sa.select(orm.leads.c.id)).scalars().all()
    assert lead_ids == [made["first"].id]
    assert sorted(made["second"].tags) == ["chairs", "tables"]
    kinds = [type(event.message).__name__ for event in outbox_events(postgres_engine)]
    assert kinds == ["LeadCreated", "LeadMerged"]
