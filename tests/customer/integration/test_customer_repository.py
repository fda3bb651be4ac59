"""The repositories' guarantees that the handlers' own checks cannot give: the unique indexes
against concurrent creates, and the version check against concurrent updates."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest
from crm_customer.config import MIGRATIONS_DIR
from crm_customer.domain.model import Customer
from crm_customer.domain.values import Profile
from crm_platform.db import build_engine
from crm_platform.errors import AlreadyExists, Conflict
from crm_platform.migrations import upgrade
from sqlalchemy import Engine

from tests.customer.integration.support import row_count, unit_of_work

pytestmark = pytest.mark.integration

NOW = datetime(2025, 3, 1, tzinfo=UTC)


def registered(email: str) -> Customer:
    return Customer.register(
        Profile(name="Ada", email=email), customer_id=uuid4(), now=NOW, phone_region="US"
    )


def test_a_create_that_lost_the_dedupe_race_is_already_exists(engine: Engine) -> None:
    units = unit_of_work(engine)
    first = registered("ada@example.com")
    with units() as uow:
        uow.customers.add(first)
        uow.commit()

    # As if the dedupe check ran before `first` committed: only the unique index sees it.
    with units() as uow, pytest.raises(AlreadyExists) as error:
        uow.customers.add(registered("ada@example.com"))

    assert error.value.existing_id == str(first.id)
    assert row_count(engine, "customers") == 1


def test_a_concurrent_update_of_the_same_version_is_a_conflict(postgres_url: str) -> None:
    upgrade(MIGRATIONS_DIR, postgres_url)
    engine = build_engine(postgres_url, pool_size=2)
    try:
        units = unit_of_work(engine)
        customer = registered("ada@example.com")
        with units() as uow:
            uow.customers.add(customer)
            uow.commit()

        with units() as slow, units() as fast:
            late = slow.customers.get(customer.id)
            early = fast.customers.get(customer.id)
            assert late is not None
            assert early is not None
            early.blacklist("fraud", now=NOW)
            fast.customers.save(early)
            fast.commit()
            late.blacklist("spam", now=NOW)
            with pytest.raises(Conflict):
                slow.customers.save(late)

        with units() as uow:
            stored = uow.customers.get(customer.id)
        assert stored is not None
        assert (stored.blacklist_reason, stored.version) == ("fraud", 2)
    finally:
        engine.dispose()
