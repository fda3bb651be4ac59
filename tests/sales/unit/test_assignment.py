"""Assignment of new leads: a team by its rule (capacity-weighted among several), then round
robin among its active reps with quota left this month; never an inactive member, never one
over capacity; nobody with quota leaves the lead in the team's queue."""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta
from uuid import uuid4

from crm_sales.domain.assignment import TeamLoad, choose_team, matching, next_rep
from crm_sales.domain.leads import Contact, Lead, LeadStatus
from crm_sales.domain.teams import AssignmentRule, CompanySize, LeadSource, Team
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.sales.unit.lead_fakes import FakeStore, handlers
from tests.sales.unit.support import ADMIN, NOW, REP


def team(
    name: str, members: dict[str, tuple[int, bool]], rule: AssignmentRule | None = None
) -> Team:
    made = Team.create(
        id=uuid4(),
        name=name,
        rule=rule or AssignmentRule(),
        stage_probabilities={},
        score_points={},
        actor=ADMIN,
        now=NOW,
    )
    for user, (capacity, active) in members.items():
        made.set_member(
            ADMIN, NOW, user_id=user, is_manager=False, monthly_capacity=capacity, active=active
        )
    return made


def capture(leads_handlers, n: int, **contact: str) -> list[Lead]:  # type: ignore[no-untyped-def]
    made = []
    for i in range(n):
        made.append(
            leads_handlers.create(
                ADMIN,
                source=LeadSource.WEB,
                campaign_id="",
                contact=Contact(
                    name=f"Lead {i}", email=f"lead{i}-{uuid4().hex[:6]}@acme.cn", **contact
                ),
                notes="",
                tags=(),
                owner_id=None,
            )
        )
    return made


members = st.dictionaries(
    st.sampled_from([f"rep-{c}" for c in "abcdefg"]),
    st.tuples(st.integers(0, 5), st.booleans()),
    max_size=7,
)


@settings(max_examples=300, deadline=None)
@given(
    members=members,
    assigned=st.dictionaries(st.sampled_from([f"rep-{c}" for c in "abcdefg"]), st.integers(0, 7)),
    cursor=st.one_of(st.none(), st.sampled_from([f"rep-{c}" for c in "abcdefgz"])),
)
def test_the_next_rep_is_active_with_quota_left_or_nobody(
    members: dict[str, tuple[int, bool]], assigned: dict[str, int], cursor: str | None
) -> None:
    load = TeamLoad(team("T", members), assigned)
    chosen = next_rep(load, cursor)
    with_quota = {
        user
        for user, (capacity, active) in members.items()
        if active and assigned.get(user, 0) < capacity
    }
    if chosen is None:
        assert not with_quota
    else:
        assert chosen in with_quota


@settings(max_examples=100, deadline=None)
@given(members=members, leads=st.integers(1, 25))
def test_many_leads_never_go_over_capacity_nor_to_an_inactive_member(
    members: dict[str, tuple[int, bool]], leads: int
) -> None:
    store = FakeStore()
    sales = team("Sales", members)
    store.teams[sales.id] = sales
    lead_handlers = handlers(store)[0]
    made = capture(lead_handlers, leads)
    owners = Counter(lead.owner_id for lead in made if lead.owner_id is not None)
    for user, count in owners.items():
        capacity, active = members[user]
        assert active
        assert count <= capacity
    total_capacity = sum(capacity for capacity, active in members.values() if active)
    assert sum(owners.values()) == min(leads, total_capacity)
    assert all(lead.team_id == sales.id for lead in made)


def test_round_robin_is_fair_and_in_a_stable_order() -> None:
    store = FakeStore()
    sales = team("Sales", {"rep-c": (10, True), "rep-a": (10, True), "rep-b": (10, True)})
    store.teams[sales.id] = sales
    made = capture(handlers(store)[0], 9)
    assert [lead.owner_id for lead in made] == ["rep-a", "rep-b", "rep-c"] * 3
    assert all(lead.status is LeadStatus.ASSIGNED for lead in made)


def test_the_cursor_survives_a_restart() -> None:
    store = FakeStore()
    sales = team("Sales", {"rep-a": (10, True), "rep-b": (10, True), "rep-c": (10, True)})
    store.teams[sales.id] = sales
    first = capture(handlers(store)[0], 2)
    second = capture(handlers(store)[0], 2)  # new handlers: the cursor is in storage
    assert [lead.owner_id for lead in first + second] == ["rep-a", "rep-b", "rep-c", "rep-a"]


def test_inactive_and_full_members_are_skipped() -> None:
    store = FakeStore()
    sales = team("Sales", {"rep-a": (1, True), "rep-b": (5, False), "rep-c": (5, True)})
    store.teams[sales.id] = sales
    made = capture(handlers(store)[0], 4)
    assert [lead.owner_id for lead in made] == ["rep-a", "rep-c", "rep-c", "rep-c"]


def test_an_account_identity_disabled_gets_no_leads_until_enabled_again() -> None:
    store = FakeStore()
    sales = team("Sales", {"rep-a": (5, True), "rep-b": (5, True)})
    store.teams[sales.id] = sales
    lead_handlers = handlers(store)[0]
    store.disabled.add("rep-a")  # the team still counts rep-a active
    while_disabled = capture(lead_handlers, 3)
    store.disabled.discard("rep-a")
    again = capture(lead_handlers, 2)
    assert [lead.owner_id for lead in while_disabled] == ["rep-b", "rep-b", "rep-b"]
    assert [lead.owner_id for lead in again] == ["rep-a", "rep-b"]


def test_nobody_with_quota_leaves_the_lead_in_the_team_queue() -> None:
    store = FakeStore()
    sales = team("Sales", {"rep-a": (1, True), "rep-b": (3, False)})
    store.teams[sales.id] = sales
    lead_handlers = handlers(store)[0]
    assigned, queued = capture(lead_handlers, 2)
    assert assigned.owner_id == "rep-a"
    assert (queued.owner_id, queued.team_id, queued.status) == (None, sales.id, LeadStatus.NEW)
    in_queue = lead_handlers.list(
        ADMIN, status=LeadStatus.NEW, owner_id=None, team_id=sales.id, source=None,
        page_size=0, page_token="",
    )  # fmt: skip
    assert [lead.id for lead in in_queue.items] == [queued.id]
    # and a rep sees the unowned lead of the queue, to take it
    assert lead_handlers.get(REP, queued.id).id == queued.id


def test_quotas_start_again_each_calendar_month() -> None:
    store = FakeStore()
    sales = team("Sales", {"rep-a": (1, True)})
    store.teams[sales.id] = sales
    lead_handlers, _, _, _, clock = handlers(store)
    clock.now = NOW  # 31 January
    january = capture(lead_handlers, 2)
    clock.now = NOW + timedelta(days=1)  # 1 February
    february = capture(lead_handlers, 1)
    assert [lead.owner_id for lead in january + february] == ["rep-a", None, "rep-a"]


def test_only_teams_whose_rule_matches_take_the_lead() -> None:
    south = team("South", {"rep-s": (10, True)}, AssignmentRule.of(regions=["South"]))
    big_web = team(
        "Big web",
        {"rep-w": (10, True)},
        AssignmentRule.of(
            sources=[LeadSource.WEB], sizes=[CompanySize.LARGE, CompanySize.ENTERPRISE]
        ),
    )
    anyone = team("Anyone", {"rep-x": (10, True)})
    loads = [TeamLoad(t, {}) for t in (south, big_web, anyone)]
    names = lambda found: sorted(load.team.name for load in found)  # noqa: E731
    assert names(matching(loads, "south ", LeadSource.PHONE, None)) == ["Anyone", "South"]
    assert names(matching(loads, "North", LeadSource.WEB, CompanySize.LARGE)) == [
        "Anyone",
        "Big web",
    ]
    assert names(matching(loads, "North", LeadSource.WEB, CompanySize.SMALL)) == ["Anyone"]


def test_no_matching_team_leaves_the_lead_unassigned() -> None:
    store = FakeStore()
    south = team("South", {"rep-s": (10, True)}, AssignmentRule.of(regions=["south"]))
    store.teams[south.id] = south
    (lead,) = capture(handlers(store)[0], 1, region="north")
    assert (lead.owner_id, lead.team_id, lead.status) == (None, None, LeadStatus.NEW)


def test_teams_are_chosen_in_proportion_to_their_capacity_left() -> None:
    big = TeamLoad(team("Big", {"a": (30, True), "b": (30, True)}), {"a": 10})  # 50 left
    small = TeamLoad(team("Small", {"c": (10, True)}), {})  # 10 left
    full = TeamLoad(team("Full", {"d": (5, True), "e": (9, False)}), {"d": 5})  # 0 left
    rng = random.Random(3)
    chosen = Counter(choose_team([big, small, full], rng).team.name for _ in range(6000))  # type: ignore[union-attr]
    assert "Full" not in chosen
    assert 4700 < chosen["Big"] < 5300
    assert 700 < chosen["Small"] < 1300


def test_the_choice_is_deterministic_given_the_random_source() -> None:
    loads = [
        TeamLoad(team(name, {"a": (n, True)}), {}) for name, n in (("X", 3), ("Y", 5), ("Z", 2))
    ]
    first = [choose_team(loads, random.Random(42)) for _ in range(1)]
    again = [choose_team(loads, random.Random(42)) for _ in range(1)]
    assert first == again
    # every team at capacity: the first by name holds the lead in its queue
    full = [TeamLoad(team(name, {"a": (1, True)}), {"a": 1}) for name in ("Y", "X")]
    assert choose_team(full, random.Random(0)).team.name == "X"  # type: ignore[union-attr]
    assert choose_team([], random.Random(0)) is None


def test_members_of_a_team_owning_a_lead_see_each_other() -> None:
    store = FakeStore()
    sales = team("Sales", {"rep-1": (5, True), "rep-2": (5, True)})
    store.teams[sales.id] = sales
    lead_handlers = handlers(store)[0]
    (lead,) = capture(lead_handlers, 1)
    assert lead.owner_id == "rep-1"
    assert lead_handlers.get(REP, lead.id).owner_id == "rep-1"
