"""Outsourcing in the domain: the ranking of suggestions (capability, distance widening until
one is near, capacity, tier, rating; never a competitor, an inactive or full partner, or one
offered the work before) and the offer chain (decline and timeout go to the next partner, the
accepted work completes)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from crm_partner.domain import assignments as A
from crm_partner.domain.partners import Partner, Profile, Tier
from crm_partner.domain.scorecards import scorecard
from crm_partner.domain.suggestions import Load, haversine_km, rank
from crm_partner.domain.values import Actor, ActorKind, Place
from crm_platform.errors import FailedPrecondition, NotFound, PermissionDenied

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
MANAGER = Actor("manager-1", ActorKind.STAFF, frozenset({"manager"}))
DEADLINES = Actor("partner-deadlines", ActorKind.SERVICE)
SHANGHAI, HANGZHOU, BEIJING = (31.22, 121.46), (30.29, 120.16), (39.91, 116.40)


def partner(
    name: str,
    at: tuple[float, float] | None,
    *,
    capabilities: tuple[str, ...] = ("printing",),
    capacity: int = 2,
    tier: Tier = Tier.SILVER,
    rating: str = "4",
    active: bool = True,
    competitor: bool = False,
    regions: tuple[str, ...] = (),
) -> Partner:
    profile = Profile(
        name, capabilities, (), regions, Place("CN", "", name, at), capacity, tier,
        Decimal(rating), active, competitor,
    )  # fmt: skip
    return Partner(uuid.uuid4(), profile, 1, NOW, NOW)


def user_of(p: Partner) -> Actor:
    return Actor(f"user-of-{p.name}", ActorKind.PARTNER, frozenset({"partner_user"}), p.id)


def test_the_nearest_capable_partner_ranks_first_and_distance_widens_until_one_is_near() -> None:
    near, mid, far = partner("near", SHANGHAI), partner("mid", HANGZHOU), partner("far", BEIJING)

    found = rank(
        [Load(far, 0), Load(mid, 0), Load(near, 0)],
        capabilities=("printing",),
        place=Place("CN", "", "Shanghai", SHANGHAI),
    )
    only_far = rank([Load(far, 0)], capabilities=(), place=Place(coordinates=SHANGHAI))

    assert [s.load.partner.name for s in found.items] == ["near"]  # the smallest radius wins
    assert found.radius_km == 25.0
    assert [s.load.partner.name for s in only_far.items] == ["far"]
    assert only_far.radius_km == 1500.0
    assert 1000 < haversine_km(SHANGHAI, BEIJING) < 1100


def test_competitors_inactive_full_unskilled_and_earlier_partners_are_never_suggested() -> None:
    good = partner("good", SHANGHAI)
    excluded = partner("declined before", SHANGHAI)
    others = [
        partner("rival", SHANGHAI, competitor=True),
        partner("asleep", SHANGHAI, active=False),
        partner("welder", SHANGHAI, capabilities=("welding",)),
    ]
    full = partner("full", SHANGHAI, capacity=1)

    found = rank(
        [Load(good, 1), Load(excluded, 0), Load(full, 1), *(Load(p, 0) for p in others)],
        capabilities=("printing",),
        place=Place(coordinates=SHANGHAI),
        excluded=frozenset({excluded.id}),
    )

    assert [s.load.partner.name for s in found.items] == ["good"]
    assert found.items[0].load.free_capacity == 1


def test_free_capacity_tier_and_rating_break_ties_between_equally_near_partners() -> None:
    busy = partner("busy", SHANGHAI, capacity=4, tier=Tier.PLATINUM, rating="5")
    free = partner("free", SHANGHAI, capacity=4, tier=Tier.SILVER, rating="4")
    best = partner("best", SHANGHAI, capacity=4, tier=Tier.PLATINUM, rating="5")

    found = rank([Load(busy, 3), Load(free, 0), Load(best, 0)], capabilities=(), place=Place())

    assert [s.load.partner.name for s in found.items] == ["best", "free", "busy"]


def outsourced(first: Partner) -> A.Assignment:
    work = A.Work(A.WorkKind.ORDER, uuid.uuid4(), None, ("printing",), Place(), None, "")
    candidate = A.Candidate(first.id, first.name, NOW + timedelta(hours=1))
    return A.Assignment.outsource(MANAGER, NOW, uuid.uuid4(), work, candidate)


def test_a_decline_and_a_timeout_offer_the_work_to_the_next_partner_each_an_event() -> None:
    first, second, third = partner("first", None), partner("second", None), partner("third", None)
    assignment = outsourced(first)
    later = NOW + timedelta(minutes=5)

    assignment.decline(
        user_of(first),
        later,
        "booked",
        A.Candidate(second.id, second.name, later + timedelta(hours=1)),
    )
    with pytest.raises(FailedPrecondition):
        assignment.expire(DEADLINES, later, None)  # not due yet
    due = later + timedelta(hours=1)
    assignment.expire(DEADLINES, due, A.Candidate(third.id, third.name, due + timedelta(hours=1)))
    assignment.accept(user_of(third), due + timedelta(minutes=1))

    events = assignment.pull_events()
    assert [type(e).__name__ for e in events] == [
        "AssignmentOffered", "AssignmentDeclined", "AssignmentOffered", "AssignmentExpired",
        "AssignmentOffered", "AssignmentAccepted",
    ]  # fmt: skip
    assert [e.assignment.version for e in events] == [1, 2, 3, 4, 5, 6]
    assert [o.answer for o in assignment.offers] == [
        A.OfferAnswer.DECLINED, A.OfferAnswer.EXPIRED, A.OfferAnswer.ACCEPTED,
    ]  # fmt: skip
    assert (assignment.state, assignment.partner_id) == (A.AssignmentState.ACCEPTED, third.id)


def test_only_the_offered_partner_answers_and_only_before_the_deadline() -> None:
    offered, other = partner("offered", None), partner("other", None)
    assignment = outsourced(offered)

    with pytest.raises(NotFound):
        assignment.accept(user_of(other), NOW)
    with pytest.raises(PermissionDenied):
        A.Assignment.outsource(
            Actor("rep", ActorKind.STAFF, frozenset({"marketer"})), NOW, uuid.uuid4(),
            assignment.work, A.Candidate(other.id, other.name, NOW),
        )  # fmt: skip
    with pytest.raises(FailedPrecondition):
        assignment.accept(user_of(offered), NOW + timedelta(hours=2))
    assert assignment.state is A.AssignmentState.OFFERED


def test_nobody_left_leaves_the_work_unplaced_and_never_offers_a_partner_twice() -> None:
    only = partner("only", None)
    assignment = outsourced(only)

    assignment.decline(user_of(only), NOW, "no", None)

    assert assignment.state is A.AssignmentState.UNPLACED
    assert assignment.partner_id is None
    with pytest.raises(FailedPrecondition):
        assignment._offer(MANAGER, NOW, A.Candidate(only.id, only.name, NOW))


def test_the_scorecard_counts_answers_waits_and_outcomes_of_its_own_offers() -> None:
    first, second = partner("first", None), partner("second", None)
    won = outsourced(first)
    won.accept(user_of(first), NOW + timedelta(minutes=30))
    won.complete(DEADLINES, NOW + timedelta(days=3), A.WorkOutcome.WON)
    passed_on = outsourced(first)
    passed_on.decline(user_of(first), NOW, "", A.Candidate(second.id, second.name, NOW))

    card = scorecard(first.id, [won.view(), passed_on.view()])

    assert (card.offers, card.accepted, card.declined) == (2, 1, 1)
    assert card.acceptance_rate == 0.5
    assert card.mean_acceptance_seconds == 1800
    assert (card.won, card.win_rate) == (1, 1.0)
    assert scorecard(second.id, [passed_on.view()]).offers == 1
