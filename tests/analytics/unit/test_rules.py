"""Segment rules as a marketer writes them: normalized, and every mistake named by its path."""

from __future__ import annotations

import pytest
from crm_analytics.domain.rules import Match, parse_rule
from crm_platform.errors import ValidationFailed


def one(field: str, operator: str, *values: str) -> list:  # type: ignore[type-arg]
    return [(None, [(field, operator, list(values))])]


def test_a_rule_is_normalized_and_defaults_to_all() -> None:
    rule = parse_rule(None, one(" Region ", "EQ", " North "))

    assert rule.match is Match.ALL
    condition = rule.groups[0].conditions[0]
    assert (condition.field, condition.operator, condition.values) == ("region", "eq", ("north",))


def test_repeated_values_count_once() -> None:
    rule = parse_rule(Match.ANY, one("tag", "has_all", "vip", "VIP", "golf"))

    assert rule.groups[0].conditions[0].values == ("vip", "golf")


@pytest.mark.parametrize(
    ("condition", "path", "says"),
    [
        (("shoe_size", "eq", ["42"]), "rule.groups[0].conditions[0].field", "unknown field"),
        (("gender", "gt", ["female"]), "rule.groups[0].conditions[0].operator", "eq, ne, in"),
        (("gender", "eq", ["robot"]), "rule.groups[0].conditions[0].values[0]", "female"),
        (("age_band", "in", ["18_24", "old"]), "rule.groups[0].conditions[0].values[1]", "55_plus"),
        (("region", "eq", ["a", "b"]), "rule.groups[0].conditions[0].values", "exactly one"),
        (("region", "in", []), "rule.groups[0].conditions[0].values", "at least one"),
        (("blacklisted", "eq", ["maybe"]), "rule.groups[0].conditions[0].values[0]", "true"),
        (("consent", "has_any", ["fax"]), "rule.groups[0].conditions[0].values[0]", "email"),
        (("tag", "has_any", [" "]), "rule.groups[0].conditions[0].values[0]", "blank"),
    ],
)
def test_a_mistake_is_named_by_its_path(condition: tuple, path: str, says: str) -> None:  # type: ignore[type-arg]
    field, operator, values = condition
    with pytest.raises(ValidationFailed) as refused:
        parse_rule(None, [(None, [("region", "eq", ["north"]), (field, operator, values)])])

    [violation] = refused.value.violations
    assert violation.field == path.replace("conditions[0]", "conditions[1]")
    assert says in violation.description


def test_every_mistake_is_reported_at_once() -> None:
    with pytest.raises(ValidationFailed) as refused:
        parse_rule(None, [(None, [("x", "eq", ["1"])]), (Match.ANY, [])])

    assert [v.field for v in refused.value.violations] == [
        "rule.groups[0].conditions[0].field",
        "rule.groups[1].conditions",
    ]


def test_a_rule_needs_a_group() -> None:
    with pytest.raises(ValidationFailed) as refused:
        parse_rule(None, [])

    assert refused.value.violations[0].field == "rule.groups"
