"""`crm-customer expire-points` against a real database: what is left of the lots earned more
than the program's expiry ago expires, one entry per account, and a second run changes
nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from crm_customer.adapters import orm
from crm_customer.config import SERVICE_NAME, CustomerSettings, loyalty_program
from crm_customer.domain.model import Customer
from crm_customer.domain.values import Profile
from crm_customer.entrypoints.expire_points_command import expire_points_command
from crm_customer.service_layer.loyalty import order_paid
from sqlalchemy import Engine

from tests.customer.integration.support import unit_of_work

pytestmark = pytest.mark.integration


def customer_with_points(engine: Engine, earned_days_ago: int, total: str) -> uuid.UUID:
    now = datetime.now(UTC)
    with unit_of_work(engine)() as uow:
        customer = Customer.register(
            Profile(name="Zhang Wei", email=f"{uuid.uuid4().hex}@example.com"),
            customer_id=uuid.uuid4(),
            now=now,
            phone_region="CN",
        )
        uow.customers.add(customer)
        order_paid(
            uow, loyalty_program(), customer_id=customer.id, order_id=uuid.uuid4(),
            total=Decimal(total), now=now - timedelta(days=earned_days_ago),
        )  # fmt: skip
        uow.commit()
    return customer.id


def ledger(engine: Engine, customer_id: uuid.UUID) -> list[tuple[str, int, int]]:
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(orm.loyalty_entries)
            .where(orm.loyalty_entries.c.customer_id == customer_id)
            .order_by(orm.loyalty_entries.c.occurred_at)
        )
        return [(row.kind, row.points, row.balance) for row in rows]


def test_points_past_their_expiry_expire_once(
    engine: Engine, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    stale = customer_with_points(engine, earned_days_ago=400, total="250")
    fresh = customer_with_points(engine, earned_days_ago=30, total="250")
    settings = CustomerSettings.from_env(SERVICE_NAME, {"CRM_CUSTOMER_DATABASE_URL": database_url})

    assert expire_points_command(settings, []) == 0
    assert expire_points_command(settings, []) == 0

    assert ledger(engine, stale) == [("earned", 25, 25), ("expired", -25, 0)]
    assert ledger(engine, fresh) == [("earned", 25, 25)]
    out = capsys.readouterr().out
    assert "points expired in 1 loyalty accounts" in out
    assert "points expired in 0 loyalty accounts" in out
