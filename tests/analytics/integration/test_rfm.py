"""RFM and lifetime value from sales' events: each order rescores its customer at once; the
full recompute measures everyone again, fits the models and moves the rule segments."""

from __future__ import annotations

from datetime import timedelta

import pytest
from crm_proto.crm.analytics.v1 import analytics_pb2

from tests.analytics.integration.harness import EventPublisher, RunningAnalytics
from tests.analytics.integration.test_customer_value import NOW, pay, place, placed_order, value_of
from tests.analytics.integration.test_rule_segments import condition, create, members, rule
from tests.analytics.integration.test_segments import new_id, register, settle

pytestmark = pytest.mark.integration


def buy(publisher: EventPublisher, customer_id: str, days_ago: int, amount: str) -> None:
    order = placed_order(customer_id, at=NOW - timedelta(days=days_ago))
    place(publisher, order)
    pay(publisher, order, 1, amount)


def test_orders_move_a_customer_from_new_to_champion_and_into_a_segment_of_champions(
    publisher: EventPublisher, analytics: RunningAnalytics
) -> None:
    customer_id = new_id()
    register(publisher, customer_id)
    settle(publisher, analytics)
    champions = create(analytics, rule(condition("rfm_segment", "eq", "champions")))
    assert value_of(analytics, customer_id).rfm_segment == "no_orders"

    buy(publisher, customer_id, 0, "100.00")
    settle(publisher, analytics)
    first = value_of(analytics, customer_id)
    assert (first.rfm_segment, first.recency_score, first.frequency_score) == (
        "new_customer", 5, 1,
    )  # fmt: skip
    assert (first.value_tier, first.churn_risk, first.clv.amount) == ("bronze", "low", "100")

    for _ in range(5):
        buy(publisher, customer_id, 1, "2000.00")
    settle(publisher, analytics)
    assert value_of(analytics, customer_id).rfm_segment == "champions"
    assert customer_id in members(analytics, champions.id)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_the_recompute_measures_quintiles_fits_the_models_and_rescores_everyone(
    publisher: EventPublisher, analytics: RunningAnalytics
) -> None:
    customers = [new_id() for _ in range(60)]
    for number, customer_id in enumerate(customers):
        register(publisher, customer_id)
        # from one order 300 days ago to six orders over the last months
        orders = 1 + number % 6
        for order in range(orders):
            buy(publisher, customer_id, 300 - number * 4 - order * 5, f"{100 + number * 10}.00")
    settle(publisher, analytics)
    lapsed = create(analytics, rule(condition("churn_risk", "in", "high", "medium")))

    summary = analytics.stub.RecomputeCustomerValue(
        analytics_pb2.RecomputeCustomerValueRequest(), timeout=60
    )

    assert summary.customers_scored == 60
    assert summary.boundaries.customers == 60
    assert list(summary.boundaries.frequency) == [2, 3, 4, 5]
    assert summary.model.customers == 60
    assert set(summary.model.parameters) == {"r", "alpha", "a", "b", "p", "q", "v"}
    assert sum(count.count for count in summary.by_rfm_segment) == 60
    oldest, newest = value_of(analytics, customers[0]), value_of(analytics, customers[-1])
    assert (oldest.recency_score, oldest.frequency_score) == (1, 1)
    assert oldest.rfm_segment == "lost"
    assert newest.recency_score == 5
    assert newest.HasField("predicted_clv")
    assert newest.HasField("probability_alive")
    assert float(newest.predicted_clv.amount) > 0
    # the rule segment follows the new scores, and the summary reads back as measured
    assert customers[0] in members(analytics, lapsed.id)
    again = analytics.stub.GetValueSummary(analytics_pb2.GetValueSummaryRequest(), timeout=5)
    assert again.boundaries == summary.boundaries
    assert again.measured_at == summary.measured_at
