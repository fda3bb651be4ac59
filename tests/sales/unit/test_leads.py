"""The lead: capture (duplicates merged into the open lead), who may assign it, its statuses,
score overrides, conversion into a customer and an opportunity; every change an event with
the lead's version and actor."""

from __future__ import annotations

from decimal import Decimal
from uuid import uuid4

import pytest
from crm_platform.errors import FailedPrecondition, NotFound, PermissionDenied, ValidationFailed
from crm_sales.domain import leads as lead_events
from crm_sales.domain.assignment import AssignmentReason
from crm_sales.domain.leads import Contact, Lead, LeadStatus
from crm_sales.domain.teams import AssignmentRule, LeadSource, Team
from crm_sales.domain.values import Actor, ActorKind
from crm_sales.service_layer.leads import CustomersUnavailable, LeadHandlers

from tests.sales.unit.lead_fakes import FakeStore, FakeUnitOfWork, handlers
from tests.sales.unit.support import ADMIN, CUSTOMER, MANAGER, NOW, REP

OTHER_REP = Actor("rep-2", ActorKind.STAFF, frozenset({"sales_rep"}))
MARKETING = Actor("marketing", ActorKind.SERVICE)


def create(
    lead_handlers: LeadHandlers,
    actor: Actor = REP,
    *,
    owner_id: str | None = None,
    notes: str = "",
    tags: tuple[str, ...] = (),
    **contact: str,
) -> Lead:
    details = {"name": "Li Wei", "company": "Acme", "email": "li@acme.cn", **contact}
    return lead_handlers.create(
        actor,
        source=LeadSource.WEB,
        campaign_id="",
        contact=Contact(**details),
        notes=notes,
        tags=tags,
        owner_id=owner_id,
    )


def events_of(store: FakeStore, kind: type) -> list:  # type: ignore[type-arg]
    return [event for event in store.events if isinstance(event, kind)]


def test_a_lead_is_created_scored_and_recorded() -> None:
    lead_handlers, _, store, _, _ = handlers()
    lead = create(lead_handlers, phone="+86 10 1234 5678", tags=("Furniture",))
    assert lead.status is LeadStatus.NEW
    assert lead.owner_id is None
    assert lead.tags == frozenset({"furniture"})
    assert lead.score == 15 + 10 + 5 + 10 + 10  # email, phone, name, company, source=web
    assert "source=web: +10" in lead.score_reasons
    assert Decimal(0) < lead.win_probability < Decimal(1)
    (created,) = events_of(store, lead_events.LeadCreated)
    assert (created.subject_id, created.version, created.actor) == (lead.id, 1, REP)


def test_a_lead_with_an_open_leads_email_or_phone_is_merged_into_it() -> None:
    lead_handlers, _, store, _, _ = handlers()
    first = create(lead_handlers, notes="Wants a table", tags=("table",), phone="+8613800000000")
    by_email = create(lead_handlers, email=" LI@ACME.CN", notes="Also chairs", tags=("chairs",))
    by_phone = create(lead_handlers, email="other@acme.cn", phone="+86 138 0000 0000")
    assert by_email.id == by_phone.id == first.id
    assert len(store.leads) == 1
    stored = store.leads[first.id]
    assert stored.notes == "Wants a table\n\nAlso chairs"
    assert stored.tags == frozenset({"table", "chairs"})
    merged = events_of(store, lead_events.LeadMerged)
    assert [event.version for event in merged] == [2, 3]
    assert len(events_of(store, lead_events.LeadCreated)) == 1


def test_a_closed_lead_is_no_duplicate() -> None:
    lead_handlers, _, store, _, _ = handlers()
    first = create(lead_handlers)
    lead_handlers.change(MANAGER, first.id, 0, lambda lead, a, n: lead.disqualify(a, n, "spam"))
    second = create(lead_handlers)
    assert second.id != first.id
    assert len(store.leads) == 2


def test_the_same_capture_twice_makes_one_lead() -> None:
    lead_handlers, _, store, _, _ = handlers()
    capture_id = uuid4()
    made = []
    for i in range(2):
        with FakeUnitOfWork(store) as uow:
            made.append(
                lead_handlers.create_in(
                    uow, MARKETING, source=LeadSource.CAMPAIGN, campaign_id="spring",
                    contact=Contact(name="Zhang", email=f"zhang{i}@acme.cn"), notes="", tags=(),
                    owner_id=None, capture_id=capture_id,
                )
            )  # fmt: skip
            uow.commit()
    assert made[0].id == made[1].id
    assert len(store.leads) == 1


def test_a_rep_takes_an_unowned_lead_for_themselves_only() -> None:
    lead_handlers, _, store, _, _ = handlers()
    lead = create(lead_handlers)
    with pytest.raises(PermissionDenied):
        lead_handlers.assign(REP, lead.id, 0, owner_id="rep-2", team_id=None)
    taken = lead_handlers.assign(REP, lead.id, 0, owner_id="rep-1", team_id=None)
    assert (taken.owner_id, taken.status, taken.version) == ("rep-1", LeadStatus.ASSIGNED, 2)
    (assigned,) = events_of(store, lead_events.LeadAssigned)
    assert (assigned.from_owner_id, assigned.to_owner_id, assigned.reason) == (
        None,
        "rep-1",
        AssignmentReason.MANUAL,
    )
    # owned now: another rep neither sees nor takes it; an admin reassigns it
    with pytest.raises(NotFound):
        lead_handlers.assign(OTHER_REP, lead.id, 0, owner_id="rep-2", team_id=None)
    moved = lead_handlers.assign(ADMIN, lead.id, 2, owner_id="rep-2", team_id=None)
    assert moved.owner_id == "rep-2"


def test_a_disabled_account_is_not_given_a_lead_by_hand() -> None:
    lead_handlers, _, store, _, _ = handlers()
    lead = create(lead_handlers)
    store.disabled.add("rep-2")
    with pytest.raises(FailedPrecondition, match="disabled"):
        lead_handlers.assign(ADMIN, lead.id, 0, owner_id="rep-2", team_id=None)
    assert store.leads[lead.id].owner_id is None
    assert events_of(store, lead_events.LeadAssigned) == []


def test_a_stale_version_changes_nothing() -> None:
    from crm_platform.errors import Conflict

    lead_handlers, _, store, _, _ = handlers()
    lead = create(lead_handlers, owner_id="rep-1")
    with pytest.raises(Conflict):
        lead_handlers.change(REP, lead.id, 1, Lead.qualify)
    assert store.leads[lead.id].status is LeadStatus.ASSIGNED


def test_statuses_allow_only_their_steps() -> None:
    lead_handlers, _, _, _, _ = handlers()
    lead = create(lead_handlers)
    with pytest.raises(FailedPrecondition):
        lead_handlers.change(REP, lead.id, 0, Lead.qualify)  # not assigned yet
    lead_handlers.assign(REP, lead.id, 0, owner_id="rep-1", team_id=None)
    assert lead_handlers.change(REP, lead.id, 0, Lead.qualify).status is LeadStatus.QUALIFIED
    gone = lead_handlers.change(
        REP, lead.id, 0, lambda lead, a, n: lead.disqualify(a, n, "no budget")
    )
    assert (gone.status, gone.disqualify_reason) == (LeadStatus.DISQUALIFIED, "no budget")
    with pytest.raises(FailedPrecondition):
        lead_handlers.change(REP, lead.id, 0, lambda lead, a, n: lead.update(a, n, notes="x"))


def test_bad_input_names_its_fields() -> None:
    lead_handlers, _, store, _, _ = handlers()
    with pytest.raises(ValidationFailed) as nobody:
        lead_handlers.create(
            REP, source=LeadSource.WEB, campaign_id="", contact=Contact(city="Beijing"),
            notes="", tags=(), owner_id=None,
        )  # fmt: skip
    assert [v.field for v in nobody.value.violations] == ["contact"]
    with pytest.raises(ValidationFailed) as bad_email:
        create(lead_handlers, email="not-an-email")
    assert [v.field for v in bad_email.value.violations] == ["contact.email"]
    assert store.leads == {}


def test_a_rep_overrides_the_probability_and_gives_it_back() -> None:
    lead_handlers, _, store, _, _ = handlers()
    lead = create(lead_handlers, owner_id="rep-1")
    model = lead.win_probability
    overridden = lead_handlers.change(
        REP, lead.id, 0, lambda lead, a, n: lead.override_score(a, n, Decimal("0.9"), "CEO called")
    )
    assert (overridden.win_probability, overridden.override.reason) == (  # type: ignore[union-attr]
        Decimal("0.9"),
        "CEO called",
    )
    with pytest.raises(ValidationFailed):
        lead_handlers.change(
            REP, lead.id, 0, lambda lead, a, n: lead.override_score(a, n, Decimal("1.5"), "sure")
        )
    cleared = lead_handlers.change(REP, lead.id, 0, Lead.clear_score_override)
    assert cleared.win_probability == model
    assert cleared.override is None
    scored = events_of(store, lead_events.LeadScored)
    assert [(event.overridden, event.version) for event in scored] == [(True, 3), (False, 4)]


def test_a_team_sets_its_own_points() -> None:
    lead_handlers, team_handlers, _, _, _ = handlers()
    team_handlers.create(
        ADMIN, name="Web", rule=AssignmentRule.of(sources=[LeadSource.WEB]),
        stage_probabilities={}, score_points={"source=web": 50},
    )  # fmt: skip
    lead = create(lead_handlers)
    assert "source=web: +50" in lead.score_reasons


def test_conversion_makes_a_customer_and_an_opportunity() -> None:
    lead_handlers, _, store, customers, _ = handlers()
    lead = create(lead_handlers, owner_id="rep-1")
    converted = lead_handlers.convert(REP, lead.id, 0, title="", amount=None, expected_close=None)
    assert converted.lead.status is LeadStatus.CONVERTED
    assert converted.customer.created
    assert converted.customer.id in customers.created
    (opportunity,) = store.opportunities
    assert (opportunity.id, opportunity.lead_id, opportunity.customer_id) == (
        converted.opportunity_id,
        lead.id,
        converted.customer.id,
    )
    (event,) = events_of(store, lead_events.LeadConverted)
    assert (event.customer_id, event.opportunity_id) == (converted.customer.id, opportunity.id)
    with pytest.raises(FailedPrecondition):
        lead_handlers.convert(REP, lead.id, 0, title="", amount=None, expected_close=None)


def test_an_existing_customer_is_linked_not_duplicated() -> None:
    lead_handlers, _, _, customers, _ = handlers()
    known = uuid4()
    customers.by_email["li@acme.cn"] = known
    lead = create(lead_handlers, owner_id="rep-1")
    converted = lead_handlers.convert(
        REP, lead.id, 0, title="Tables", amount=None, expected_close=None
    )
    assert (converted.customer.id, converted.customer.created) == (known, False)


@pytest.mark.parametrize("trouble", ["blacklisted", "down"])
def test_a_blacklisted_or_unreachable_customer_converts_nothing(trouble: str) -> None:
    lead_handlers, _, store, customers, _ = handlers()
    lead = create(lead_handlers, owner_id="rep-1")
    if trouble == "down":
        customers.down = True
        expected: type[Exception] = CustomersUnavailable
    else:
        customers.blacklisted.add("li@acme.cn")
        expected = FailedPrecondition
    with pytest.raises(expected):
        lead_handlers.convert(REP, lead.id, 0, title="", amount=None, expected_close=None)
    assert store.leads[lead.id].status is LeadStatus.ASSIGNED
    assert store.opportunities == []
    assert events_of(store, lead_events.LeadConverted) == []


def test_a_new_lead_cannot_be_converted() -> None:
    lead_handlers, _, _, customers, _ = handlers()
    lead = create(lead_handlers)
    with pytest.raises(FailedPrecondition):
        lead_handlers.convert(REP, lead.id, 0, title="", amount=None, expected_close=None)
    assert customers.created == []


def test_leads_of_a_merged_customer_point_at_the_survivor() -> None:
    lead_handlers, _, store, _, _ = handlers()
    lead = create(lead_handlers, owner_id="rep-1")
    converted = lead_handlers.convert(REP, lead.id, 0, title="", amount=None, expected_close=None)
    survivor = uuid4()
    with FakeUnitOfWork(store) as uow:
        (moved,) = uow.leads.of_customer(converted.customer.id)
        moved.relink_customer(MARKETING, NOW, survivor)
        uow.leads.save(moved)
        uow.commit()
    assert store.leads[lead.id].customer_id == survivor


def test_only_staff_see_leads_and_a_rep_only_theirs_their_teams_and_unowned() -> None:
    lead_handlers, _, store, _, _ = handlers()
    mine = create(lead_handlers, owner_id="rep-1")
    theirs = create(lead_handlers, MANAGER, owner_id="rep-2", email="x@other.cn", name="X")
    unowned = create(lead_handlers, email="y@other.cn", name="Y")
    team = Team.create(
        id=uuid4(), name="T", rule=AssignmentRule(), stage_probabilities={}, score_points={},
        actor=ADMIN, now=NOW,
    )  # fmt: skip
    store.teams[team.id] = team
    page = lead_handlers.list(
        REP, status=None, owner_id=None, team_id=None, source=None, page_size=0, page_token=""
    )
    assert {lead.id for lead in page.items} == {mine.id, unowned.id}
    with pytest.raises(NotFound):
        lead_handlers.get(REP, theirs.id)
    assert (
        lead_handlers.list(
            CUSTOMER,
            status=None,
            owner_id=None,
            team_id=None,
            source=None,
            page_size=0,
            page_token="",
        ).items
        == []
    )
    assert lead_handlers.get(ADMIN, theirs.id).owner_id == "rep-2"
