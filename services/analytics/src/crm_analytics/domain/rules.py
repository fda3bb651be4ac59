"""Segment rules: AND/OR of conditions on the facts analytics keeps about a customer.

A rule is checked once, when a marketer writes it: every field, operator and value must be one
this module knows, and each mistake is reported with its path in the request
(`rule.groups[0].conditions[1].operator`). Values are kept normalized (lowercase keys, trimmed
text), so a stored rule reads back as it is evaluated.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from crm_platform.errors import FieldViolation, ValidationFailed

from crm_analytics.domain.age import AGE_BAND_KEYS
from crm_analytics.domain.rfm import ChurnRisk, RfmSegment, ValueTier


class Match(enum.Enum):
    ALL = "all"  # AND
    ANY = "any"  # OR


class Kind(enum.Enum):
    CHOICE = "choice"  # one value per customer: a key or a text
    SET = "set"  # several values per customer (tags, granted consents)
    FLAG = "flag"  # true or false
    COUNT = "count"  # a whole number
    AMOUNT = "amount"  # a decimal amount
    DATE = "date"  # a calendar date (UTC)


OPERATORS: dict[Kind, tuple[str, ...]] = {
    Kind.CHOICE: ("eq", "ne", "in", "not_in"),
    Kind.SET: ("has_any", "has_all", "has_none"),
    Kind.FLAG: ("eq",),
    Kind.COUNT: ("eq", "ne", "gt", "gte", "lt", "lte"),
    Kind.AMOUNT: ("eq", "ne", "gt", "gte", "lt", "lte"),
    Kind.DATE: ("before", "after", "on"),
}
ONE_VALUE = frozenset({"eq", "ne", "gt", "gte", "lt", "lte", "before", "after", "on"})

GENDERS = ("female", "male", "other", "unknown")
SOURCES = (
    "web", "phone", "sales_rep", "distributor", "partner", "campaign", "portal", "unknown",
)  # fmt: skip
CONSENT_CHANNELS = ("email", "sms", "phone", "post")
FLAGS = ("true", "false")


@dataclass(frozen=True)
class FactField:
    name: str
    kind: Kind
    choices: tuple[str, ...] | None = None  # the values it may be compared with; None: any
    case_sensitive: bool = False  # False: values are lowercased (keys, tags)


FIELDS: dict[str, FactField] = {
    spec.name: spec
    for spec in (
        FactField("region", Kind.CHOICE),
        FactField("city", Kind.CHOICE),
        FactField("gender", Kind.CHOICE, GENDERS),
        FactField("age_band", Kind.CHOICE, AGE_BAND_KEYS),
        FactField("source", Kind.CHOICE, SOURCES),
        FactField("tag", Kind.SET),
        FactField("consent", Kind.SET, CONSENT_CHANNELS),
        FactField("blacklisted", Kind.FLAG, FLAGS),
        FactField("orders", Kind.COUNT),
        FactField("days_since_last_order", Kind.COUNT),
        FactField("last_order_date", Kind.DATE),
        FactField("interactions", Kind.COUNT),
        FactField("paid", Kind.AMOUNT),
        FactField("rfm_segment", Kind.CHOICE, tuple(RfmSegment)),
        FactField("clv", Kind.AMOUNT),
        FactField("predicted_clv", Kind.AMOUNT),
        FactField("value_tier", Kind.CHOICE, tuple(ValueTier)),
        FactField("churn_risk", Kind.CHOICE, tuple(ChurnRisk)),
    )
}


@dataclass(frozen=True)
class Condition:
    field: str
    operator: str
    values: tuple[str, ...]  # normalized: see `FactField`

    @property
    def kind(self) -> Kind:
        return FIELDS[self.field].kind

    def numbers(self) -> tuple[Decimal, ...]:
        return tuple(Decimal(value) for value in self.values)

    def dates(self) -> tuple[date, ...]:
        return tuple(date.fromisoformat(value) for value in self.values)

    def flag(self) -> bool:
        return self.values[0] == "true"


@dataclass(frozen=True)
class ConditionGroup:
    match: Match
    conditions: tuple[Condition, ...]


@dataclass(frozen=True)
class SegmentRule:
    match: Match
    groups: tuple[ConditionGroup, ...]


# What a request holds before it is checked: (field, operator, values) per condition, and a
# match (None: all) per group and for the rule.
RawCondition = tuple[str, str, Sequence[str]]
RawGroup = tuple[Match | None, Sequence[RawCondition]]


def parse_rule(match: Match | None, groups: Sequence[RawGroup], path: str = "rule") -> SegmentRule:
    """The rule a request describes, or ValidationFailed naming every mistake."""
    problems: list[FieldViolation] = []
    if not groups:
        problems.append(FieldViolation(f"{path}.groups", "name at least one group"))
    parsed_groups = []
    for g, (group_match, conditions) in enumerate(groups):
        group_path = f"{path}.groups[{g}]"
        if not conditions:
            problems.append(
                FieldViolation(f"{group_path}.conditions", "name at least one condition")
            )
        parsed = [
            _condition(field, operator, values, f"{group_path}.conditions[{c}]", problems)
            for c, (field, operator, values) in enumerate(conditions)
        ]
        parsed_groups.append(
            ConditionGroup(group_match or Match.ALL, tuple(c for c in parsed if c is not None))
        )
    if problems:
        raise ValidationFailed(problems)
    return SegmentRule(match or Match.ALL, tuple(parsed_groups))


def _condition(
    field: str, operator: str, values: Sequence[str], path: str, problems: list[FieldViolation]
) -> Condition | None:
    name = field.strip().lower()
    spec = FIELDS.get(name)
    if spec is None:
        problems.append(
            FieldViolation(f"{path}.field", f"unknown field {field!r}; known: {_list(FIELDS)}")
        )
        return None
    op = operator.strip().lower()
    allowed = OPERATORS[spec.kind]
    if op not in allowed:
        problems.append(
            FieldViolation(
                f"{path}.operator",
                f"unknown operator {operator!r} for {name}; known: {_list(allowed)}",
            )
        )
        return None
    cleaned = tuple(
        value.strip() if spec.case_sensitive else value.strip().lower() for value in values
    )
    found = len(problems)
    if not cleaned:
        problems.append(FieldViolation(f"{path}.values", "name at least one value"))
    elif op in ONE_VALUE and len(cleaned) != 1:
        problems.append(FieldViolation(f"{path}.values", f"{op} takes exactly one value"))
    for v, value in enumerate(cleaned):
        problem = _value_problem(spec, value)
        if problem:
            problems.append(FieldViolation(f"{path}.values[{v}]", problem))
    if len(problems) > found:
        return None
    return Condition(name, op, _unique(cleaned))


def _value_problem(spec: FactField, value: str) -> str | None:
    if spec.choices is not None and value not in spec.choices:
        return f"unknown {spec.name} {value!r}; known: {_list(spec.choices)}"
    if spec.kind is Kind.COUNT and not value.isdigit():
        return "must be a whole number, 0 or more"
    if spec.kind is Kind.AMOUNT:
        try:
            if not Decimal(value).is_finite():
                return "must be a decimal number like 1234.50"
        except InvalidOperation:
            return "must be a decimal number like 1234.50"
    if spec.kind is Kind.DATE:
        try:
            date.fromisoformat(value)
        except ValueError:
            return "must be a date like 2026-12-31"
    if not value:
        return "must not be blank"
    return None


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


def _list(names: Iterable[str]) -> str:
    return ", ".join(names)
