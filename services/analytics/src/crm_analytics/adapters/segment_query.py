"""A segment rule as one SQL condition over customer_facts: the one evaluation of a rule, used
for a preview's count, a new segment's members, a full recompute and one customer's check after
an event alike."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from crm_analytics.adapters.orm import (
    customer_consents,
    customer_facts,
    customer_rfm,
    customer_tags,
    customer_value,
)
from crm_analytics.adapters.repository import age_band_of
from crm_analytics.domain.customer_facts import UNKNOWN
from crm_analytics.domain.rfm import ChurnRisk, RfmSegment, ValueTier
from crm_analytics.domain.rules import Condition, Kind, Match, SegmentRule

Clause = sa.ColumnElement[bool]
facts = customer_facts.c

# Registered and not merged away: only they are members of any segment.
COUNTED: Clause = sa.and_(facts.registered_at.is_not(None), facts.merged_into.is_(None))


def matching(rule: SegmentRule, today: date) -> Clause:
    """Who the rule holds for, among the counted customers (ages as of `today`)."""
    return sa.and_(COUNTED, rule_clause(rule, today))


def rule_clause(rule: SegmentRule, today: date) -> Clause:
    groups = [
        _combine(group.match, [_condition(c, today) for c in group.conditions])
        for group in rule.groups
    ]
    return _combine(rule.match, groups)


def _combine(match: Match, clauses: list[Clause]) -> Clause:
    return sa.and_(*clauses) if match is Match.ALL else sa.or_(*clauses)


def _condition(condition: Condition, today: date) -> Clause:
    match condition.kind:
        case Kind.CHOICE:
            return _choice(_choice_column(condition.field, today), condition)
        case Kind.SET:
            return _set(_SETS[condition.field], condition)
        case Kind.FLAG:
            return _FLAGS[condition.field]() == condition.flag()
        case Kind.COUNT if condition.field == "days_since_last_order":
            return _days_since(_value("last_order_at"), condition, today)
        case Kind.COUNT:
            return _compare(sa.func.coalesce(_value(condition.field), 0), condition, 1)
        case Kind.AMOUNT if condition.field == "predicted_clv":
            # no prediction (no model yet) matches no comparison
            return sa.func.coalesce(_compare(_scored("predicted_clv_cents"), condition, 100), False)
        case Kind.AMOUNT:
            return _compare(sa.func.coalesce(_value(AMOUNTS[condition.field]), 0), condition, 100)
        case Kind.DATE:
            return _on_dates(_value(DATES[condition.field]), condition)
    raise ValueError(f"no SQL for the field {condition.field}")


# amounts are compared in cents of the reporting currency; the historic lifetime value is what
# was paid
AMOUNTS = {"paid": "paid_cents", "clv": "paid_cents"}
DATES = {"last_order_date": "last_order_at"}


def _value(column: str) -> sa.ScalarSelect[Any]:
    """One column of the customer's value row (NULL when they have none yet)."""
    table = customer_value.c
    return sa.select(table[column]).where(table.customer_id == facts.customer_id).scalar_subquery()


def _scored(column: str) -> sa.ScalarSelect[Any]:
    """One column of the customer's RFM score row (NULL when nothing scored them yet)."""
    table = customer_rfm.c
    return sa.select(table[column]).where(table.customer_id == facts.customer_id).scalar_subquery()


# what a customer whom nothing has scored yet counts as
_UNSCORED = {
    "rfm_segment": ("segment", RfmSegment.NO_ORDERS.value),
    "value_tier": ("value_tier", ValueTier.NONE.value),
    "churn_risk": ("churn_risk", ChurnRisk.UNKNOWN.value),
}


def _compare(column: sa.ColumnElement[Any], condition: Condition, scale: int) -> Clause:
    """An integer column (counts, cents) against a decimal bound, exactly: the bound is
    rounded to the integers the comparison holds for, so no float or Decimal reaches SQL."""
    bound = condition.numbers()[0] * Decimal(scale)
    below, above = math.floor(bound), math.ceil(bound)
    whole = below == above
    match condition.operator:
        case "eq":
            return column == below if whole else sa.false()
        case "ne":
            return column != below if whole else sa.true()
        case "gt":
            return column > below
        case "gte":
            return column >= above
        case "lt":
            return column < above
        case "lte":
            return column <= below
    raise ValueError(f"no SQL for {condition.field} {condition.operator}")


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def _day(column: sa.ColumnElement[Any], day: date) -> Clause:
    """The time falls on `day` (UTC)."""
    return sa.and_(column >= _midnight(day), column < _midnight(day + timedelta(days=1)))


def _days_since(column: sa.ColumnElement[Any], condition: Condition, today: date) -> Clause:
    """Whole days from the time's UTC date to today; a customer without one never matches."""
    day = today - timedelta(days=int(condition.values[0]))
    match condition.operator:
        case "eq":
            return _day(column, day)
        case "ne":
            return sa.and_(column.is_not(None), ~_day(column, day))
        case "gt":  # before that day
            return column < _midnight(day)
        case "gte":
            return column < _midnight(day + timedelta(days=1))
        case "lt":  # after that day
            return column >= _midnight(day + timedelta(days=1))
        case "lte":
            return column >= _midnight(day)
    raise ValueError(f"no SQL for {condition.field} {condition.operator}")


def _on_dates(column: sa.ColumnElement[Any], condition: Condition) -> Clause:
    day = condition.dates()[0]
    match condition.operator:
        case "before":
            return column < _midnight(day)
        case "after":
            return column >= _midnight(day + timedelta(days=1))
        case "on":
            return _day(column, day)
    raise ValueError(f"no SQL for {condition.field} {condition.operator}")


def _choice_column(field: str, today: date) -> sa.ColumnElement[Any]:
    if field == "age_band":
        return age_band_of(today)
    if field in _UNSCORED:
        column_name, unscored = _UNSCORED[field]
        return sa.func.coalesce(_scored(column_name), unscored)
    column = {
        "region": facts.region,
        "city": facts.city,
        "gender": facts.gender,
        "source": facts.acquisition_source,
    }[field]
    # as the rule keeps its values: lowercase, and "unknown" for what the record leaves empty
    return sa.func.lower(sa.func.coalesce(column, UNKNOWN))


def _choice(column: sa.ColumnElement[Any], condition: Condition) -> Clause:
    values = condition.values
    match condition.operator:
        case "eq":
            return column == values[0]
        case "ne":
            return column != values[0]
        case "in":
            return column.in_(values)
        case "not_in":
            return column.not_in(values)
    raise ValueError(f"no SQL for {condition.field} {condition.operator}")


def _tags() -> tuple[sa.Table, Clause, sa.ColumnElement[Any]]:
    return customer_tags, customer_tags.c.customer_id == facts.customer_id, customer_tags.c.tag


def _consents() -> tuple[sa.Table, Clause, sa.ColumnElement[Any]]:
    table = customer_consents
    return (
        table,
        sa.and_(table.c.customer_id == facts.customer_id, table.c.granted.is_(True)),
        table.c.channel,
    )


_SETS: dict[str, Callable[[], tuple[sa.Table, Clause, sa.ColumnElement[Any]]]] = {
    "tag": _tags,
    "consent": _consents,
}
_FLAGS: dict[str, Callable[[], sa.ColumnElement[Any]]] = {"blacklisted": lambda: facts.blacklisted}


def _set(
    source: Callable[[], tuple[sa.Table, Clause, sa.ColumnElement[Any]]], condition: Condition
) -> Clause:
    table, owned, value = source()
    held = sa.select(sa.literal(1)).select_from(table).where(owned, value.in_(condition.values))
    match condition.operator:
        case "has_any":
            return held.exists()
        case "has_none":
            return ~held.exists()
        case "has_all":
            count = (
                sa.select(sa.func.count())
                .select_from(table)
                .where(owned, value.in_(condition.values))
                .scalar_subquery()
            )
            return count == len(condition.values)
    raise ValueError(f"no SQL for {condition.field} {condition.operator}")
