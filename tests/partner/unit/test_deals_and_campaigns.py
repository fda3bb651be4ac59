"""Deal registration (draft -> submitted -> approved or rejected; an approved one protects its
customer and opportunity from other partners) and joint campaigns (the sponsors' shares of the
actual cost, marketing's newest version winning)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from crm_partner.domain.campaigns import CampaignStatus, JointCampaign
from crm_partner.domain.registrations import Amount, DealRegistration, RegistrationState
from crm_partner.domain.values import Actor, ActorKind
from crm_platform.errors import FailedPrecondition, PermissionDenied, ValidationFailed

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
MANAGER = Actor("manager-1", ActorKind.STAFF, frozenset({"manager"}))
MARKETER = Actor("marketer-1", ActorKind.STAFF, frozenset({"marketer"}))


def partner_user() -> Actor:
    return Actor(f"user-{uuid.uuid4().hex[:6]}", ActorKind.PARTNER, frozenset(), uuid.uuid4())


def register(
    actor: Actor, customer_id: uuid.UUID, protected_by: DealRegistration | None = None
) -> DealRegistration:
    return DealRegistration.register(
        actor, NOW, uuid.uuid4(), customer_id=customer_id, opportunity_id=None,
        title="Shop signs", amount=Amount(Decimal("1200.00"), "CNY"), notes="",
        protected_by=protected_by,
    )  # fmt: skip


def test_an_approved_registration_refuses_another_partners_of_the_same_customer() -> None:
    customer = uuid.uuid4()
    mine = register(partner_user(), customer)
    mine.submit(Actor("x", ActorKind.PARTNER, frozenset(), mine.partner_id), NOW, None)
    mine.approve(MANAGER, NOW, None)

    with pytest.raises(FailedPrecondition, match="protected by another partner"):
        register(partner_user(), customer, protected_by=mine)
    assert mine.state is RegistrationState.APPROVED
    assert [e.from_state for e in mine.pull_events()] == [
        None, RegistrationState.DRAFT, RegistrationState.SUBMITTED,
    ]  # fmt: skip


def test_only_staff_decide_and_a_rejection_says_why() -> None:
    user = partner_user()
    registration = register(user, uuid.uuid4())
    registration.submit(user, NOW, None)

    with pytest.raises(PermissionDenied):
        registration.approve(user, NOW, None)
    with pytest.raises(ValidationFailed):
        registration.reject(MANAGER, NOW, " ")
    registration.reject(MANAGER, NOW, "the customer buys direct")

    assert (registration.state, registration.decided_by) == (
        RegistrationState.REJECTED,
        "manager-1",
    )


def test_sponsors_share_the_actual_cost_and_the_largest_share_gets_the_leads() -> None:
    campaign = JointCampaign.known(uuid.uuid4(), NOW)
    big, small = uuid.uuid4(), uuid.uuid4()
    campaign.sponsor(MARKETER, NOW, big, "0.6")
    campaign.sponsor(MARKETER, NOW, small, "0.25")

    with pytest.raises(ValidationFailed):
        campaign.sponsor(MARKETER, NOW, uuid.uuid4(), "0.5")  # more than the whole
    campaign.launched("Spring fair", 2, NOW)
    campaign.completed("Spring fair", Amount(Decimal("1000.00"), "CNY"), 5, NOW)
    campaign.launched("Spring fair", 3, NOW)  # an older event arriving late

    assert campaign.status is CampaignStatus.COMPLETED
    assert campaign.main_sponsor == big
    assert campaign.cost_of(big) == Amount(Decimal("600.00"), "CNY")
    assert campaign.cost_of(small) == Amount(Decimal("250.00"), "CNY")
