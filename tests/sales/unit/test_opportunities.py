"""The opportunity aggregate: every transition allowed and refused, restore, the team's
probabilities, contacts and competitors checked."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from decimal import Decimal

import pytest
from crm_platform.errors import FailedPrecondition, PermissionDenied, ValidationFailed
from crm_sales.domain.opportunities import (
    Competitor,
    Contact,
    ContactRole,
    LostReason,
    Opportunity,
    OpportunityStage,
    OpportunityStatus,
    PipelineStages,
    ThreatLevel,
)
from crm_sales.domain.values import Actor, ActorKind, Money

from tests.sales.unit.support import CUSTOMER, NOW, REP

PARTNER_ID = uuid.uuid4()
PARTNER_USER = Actor("p-1", ActorKind.PARTNER, frozenset({"partner_user"}), partner_id=PARTNER_ID)
DEFAULT = PipelineStages.DEFAULT
S = OpportunityStage


def deal(
    *, amount: str | None = "100.00", stages: PipelineStages = DEFAULT, **extra: object
) -> Opportunity:
    fields: dict[str, object] = {
        "id": uuid.uuid4(),
        "title": "Chairs",
        "customer_id": uuid.uuid4(),
        "owner_id": "rep-1",
        "team_id": None,
        "partner_id": PARTNER_ID,
        "lead_id": None,
        "amount": None if amount is None else Money.of(amount, "EUR"),
        "expected_close": None,
        "source": "web",
        "region": "north",
        "tags": frozenset({"b2b"}),
        "email": "buyer@example.com",
        "phone": "+86 10 1234 5678",
        "actor": REP,
        "now": NOW,
        "stages": stages,
        **extra,
    }
    return Opportunity.open(**fields)  # type: ignore[arg-type]


def test_opens_in_prospecting_at_its_probability_with_one_event() -> None:
    opportunity = deal()
    assert (opportunity.stage, opportunity.status, opportunity.probability) == (
        S.PROSPECTING, OpportunityStatus.OPEN, Decimal("10.00"),
    )  # fmt: skip
    assert [type(e).__name__ for e in opportunity.pull_events()] == ["OpportunityOpened"]


@pytest.mark.parametrize(
    ("stage", "percent"),
    [(S.QUALIFICATION, "20"), (S.NEEDS_ANALYSIS, "40"), (S.PROPOSAL, "60"), (S.NEGOTIATION, "80")],
)
def test_moves_to_any_open_stage_at_its_probability(stage: OpportunityStage, percent: str) -> None:
    opportunity = deal()
    opportunity.move_stage(REP, NOW, stage, DEFAULT)
    assert (opportunity.stage, opportunity.probability, opportunity.version) == (
        stage, Decimal(percent), 2,
    )  # fmt: skip


def test_a_teams_probabilities_apply_and_an_override_holds_until_the_stage_changes() -> None:
    team = PipelineStages.of({"proposal": "75", "negotiation": Decimal("90.5")}, "stages")
    opportunity = deal(stages=team)
    opportunity.move_stage(REP, NOW, S.PROPOSAL, team)
    assert opportunity.probability == Decimal(75)
    opportunity.update(REP, NOW, probability=Decimal("66.66"))
    assert (opportunity.probability, opportunity.probability_overridden) == (Decimal("66.66"), True)
    opportunity.move_stage(REP, NOW, S.NEGOTIATION, team)
    assert (opportunity.probability, opportunity.probability_overridden) == (Decimal("90.5"), False)


def test_bad_team_probabilities_are_refused() -> None:
    with pytest.raises(ValidationFailed) as error:
        PipelineStages.of({"proposal": "101", "closed_won": "5", "qualification": "x"}, "s")
    assert {v.field for v in error.value.violations} == {
        "s.proposal", "s.closed_won", "s.qualification",
    }  # fmt: skip


def test_moving_to_the_same_or_a_closed_stage_is_refused() -> None:
    opportunity = deal()
    with pytest.raises(FailedPrecondition):
        opportunity.move_stage(REP, NOW, S.PROSPECTING, DEFAULT)
    with pytest.raises(ValidationFailed):
        opportunity.move_stage(REP, NOW, S.CLOSED_WON, DEFAULT)
    assert opportunity.version == 1


def test_win_needs_an_amount_and_is_final() -> None:
    with pytest.raises(FailedPrecondition):
        deal(amount=None).win(REP, NOW)
    opportunity = deal()
    opportunity.win(REP, NOW)
    closed = (opportunity.status, opportunity.stage, opportunity.probability, opportunity.closed_at)
    assert closed == (OpportunityStatus.WON, S.CLOSED_WON, Decimal(100), NOW)
    changes: list[Callable[[], None]] = [
        lambda: opportunity.lose(REP, NOW, LostReason.PRICE, ""),
        lambda: opportunity.restore(REP, NOW, DEFAULT),
        lambda: opportunity.move_stage(REP, NOW, S.PROPOSAL, DEFAULT),
        lambda: opportunity.win(REP, NOW),
        lambda: opportunity.update(REP, NOW, title="x"),
    ]
    for change in changes:
        with pytest.raises(FailedPrecondition):
            change()


def test_lose_then_restore_to_the_stage_it_was_lost_from() -> None:
    opportunity = deal()
    opportunity.move_stage(REP, NOW, S.NEGOTIATION, DEFAULT)
    opportunity.lose(REP, NOW, LostReason.COMPETITOR, "cheaper", competitor="Acme")
    assert (opportunity.status, opportunity.probability) == (OpportunityStatus.LOST, Decimal(0))
    assert opportunity.features().stage == "negotiation"  # not the outcome itself
    with pytest.raises(FailedPrecondition):
        opportunity.lose(REP, NOW, LostReason.PRICE, "")
    opportunity.restore(REP, NOW, DEFAULT)
    assert (opportunity.status, opportunity.stage, opportunity.probability, opportunity.loss) == (
        OpportunityStatus.OPEN, S.NEGOTIATION, Decimal(80), None,
    )  # fmt: skip
    names = [type(e).__name__ for e in opportunity.pull_events()]
    assert names[-2:] == ["OpportunityLost", "OpportunityRestored"]


def test_an_open_deal_cannot_be_restored() -> None:
    with pytest.raises(FailedPrecondition):
        deal().restore(REP, NOW, DEFAULT)


@pytest.mark.parametrize(
    ("reason", "note", "competitor", "field"),
    [
        (LostReason.COMPETITOR, "", "", "competitor"),
        (LostReason.PRICE, "", "Acme", "competitor"),
        (LostReason.OTHER, " ", "", "note"),
    ],
)
def test_a_loss_needs_its_details(
    reason: LostReason, note: str, competitor: str, field: str
) -> None:
    opportunity = deal()
    with pytest.raises(ValidationFailed) as error:
        opportunity.lose(REP, NOW, reason, note, competitor)
    assert [v.field for v in error.value.violations] == [field]
    assert opportunity.status is OpportunityStatus.OPEN


def test_a_partner_user_may_move_their_partners_deal_only() -> None:
    opportunity = deal()
    opportunity.move_stage(PARTNER_USER, NOW, S.QUALIFICATION, DEFAULT)
    changes: list[Callable[[], None]] = [
        lambda: opportunity.win(PARTNER_USER, NOW),
        lambda: opportunity.lose(PARTNER_USER, NOW, LostReason.PRICE, ""),
        lambda: opportunity.update(PARTNER_USER, NOW, title="x"),
        lambda: opportunity.assign(PARTNER_USER, NOW, owner_id=None, partner_id=None),
        lambda: deal(partner_id=None).move_stage(PARTNER_USER, NOW, S.PROPOSAL, DEFAULT),
    ]
    for change in changes:
        with pytest.raises(PermissionDenied):
            change()


def test_only_staff_open_and_only_managers_assign() -> None:
    with pytest.raises(PermissionDenied):
        deal(actor=CUSTOMER)
    with pytest.raises(PermissionDenied):
        deal().assign(REP, NOW, owner_id="rep-2", partner_id=None)


def test_contacts_and_competitors_are_checked_field_by_field() -> None:
    opportunity = deal()
    with pytest.raises(ValidationFailed) as error:
        opportunity.update(
            REP, NOW,
            contacts=[Contact("", "not-an-email", "call me", ContactRole.CHAMPION)],
            competitors=[
                Competitor("Acme", "", ThreatLevel.HIGH), Competitor("acme", "", ThreatLevel.LOW),
            ],
        )  # fmt: skip
    assert [v.field for v in error.value.violations] == [
        "contacts[0].name", "contacts[0].email", "contacts[0].phone", "competitors[1].name",
    ]  # fmt: skip
    assert (opportunity.contacts, opportunity.version) == ([], 1)


def test_features_use_the_primary_contact() -> None:
    opportunity = deal(contacts=[Contact("Li", "li@gmail.com", "", ContactRole.DECISION_MAKER)])
    features = opportunity.features()
    assert (features.stage, features.source, features.region, features.tags) == (
        "prospecting", "web", "north", frozenset({"b2b"}),
    )  # fmt: skip
    assert (features.email_quality, features.phone_quality) == ("free_mail", "valid")
