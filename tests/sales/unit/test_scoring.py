"""Lead scoring: rule points from a table (a team may override it), and a naive Bayes win
model whose smoothing and prior keep a small history from swinging it."""

from __future__ import annotations

from decimal import Decimal

from crm_sales.domain.scoring import (
    PRIOR_WON,
    Features,
    WinModel,
    email_quality,
    normal_phone,
    phone_quality,
    rule_score,
)
from hypothesis import given, settings
from hypothesis import strategies as st


def features(**changes: object) -> Features:
    values: dict[str, object] = {
        "stage": "lead",
        "source": "web",
        "region": "south",
        "tags": frozenset({"furniture"}),
        "email_quality": "valid",
        "phone_quality": "valid",
    }
    values.update(changes)
    return Features(**values)  # type: ignore[arg-type]


def test_email_and_phone_quality() -> None:
    assert email_quality("") == "missing"
    assert email_quality("li@gmail.com") == "free_mail"
    assert email_quality("Li@Acme.CN ") == "valid"
    assert email_quality("not an email") == "invalid"
    assert phone_quality("") == "missing"
    assert phone_quality("+86 10 1234-5678") == "valid"
    assert phone_quality("123") == "invalid"
    assert normal_phone("+86 10 1234-5678") == normal_phone("+861012345678") == "+861012345678"


def test_rule_points_per_fact_and_activity_with_reasons() -> None:
    score = rule_score(["email=valid", "company", "source=web"], {}, {"call": 2})
    assert score.points == 15 + 10 + 10 + 2 * 5
    assert score.reasons == (
        "email=valid: +15",
        "company: +10",
        "source=web: +10",
        "activity=call x2: +10",
    )


def test_a_team_overrides_the_default_points_key_by_key() -> None:
    score = rule_score(["email=valid", "source=web"], {"source=web": 40, "email=valid": 0}, {})
    assert score.points == 40
    assert score.reasons == ("source=web: +40",)


def test_without_history_the_prior_is_the_prediction() -> None:
    prediction = WinModel().predict(features())
    assert abs(prediction.probability - PRIOR_WON) < Decimal("0.0001")
    assert prediction.reasons == ()


def test_a_small_history_moves_the_probability_only_a_little() -> None:
    model = WinModel()
    model.learn(features(), won=True)
    probability = model.predict(features()).probability
    assert PRIOR_WON < probability < Decimal("0.6")


def test_a_region_that_wins_raises_the_probability_and_says_why() -> None:
    model = WinModel()
    for _ in range(30):
        model.learn(features(region="south"), won=True)
        model.learn(features(region="north"), won=False)
    south, north = model.predict(features(region="south")), model.predict(features(region="north"))
    assert south.probability > Decimal("0.9") > Decimal("0.1") > north.probability
    assert any(reason.startswith("region=south: likelihood") for reason in south.reasons)


def test_the_model_survives_its_document() -> None:
    model = WinModel()
    model.learn(features(tags=frozenset({"a", "b"})), won=True)
    model.learn(features(source="phone"), won=False)
    again = WinModel.from_document(model.to_document())
    assert again == model
    assert again.predict(features()) == model.predict(features())


@settings(max_examples=100, deadline=None)
@given(
    outcomes=st.lists(
        st.tuples(
            st.sampled_from(["web", "phone", "partner"]),
            st.sampled_from(["south", "north", ""]),
            st.frozensets(st.sampled_from(["a", "b", "c"])),
            st.booleans(),
        ),
        max_size=40,
    )
)
def test_the_probability_is_always_between_0_and_1(
    outcomes: list[tuple[str, str, frozenset[str], bool]],
) -> None:
    model = WinModel()
    for source, region, tags, won in outcomes:
        model.learn(features(source=source, region=region, tags=tags), won)
    probability = model.predict(features(source="web", tags=frozenset({"a", "z"}))).probability
    assert Decimal(0) <= probability <= Decimal(1)
