"""Teams and leads over real gRPC on PostgreSQL and SQLite: a team with its rule and members,
a lead captured, scored and assigned by the rule to the active rep, duplicates merged, who
sees and changes what, bad input with its fields, and conversion with its events."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import grpc
import pytest
import sqlalchemy as sa
from crm_platform.access import policy_of
from crm_platform.db import ping
from crm_platform.grpc_errors import ErrorDetails, details_of
from crm_platform.testing.grpc_servers import serving
from crm_platform.testing.tokens import bearer, staff_token
from crm_proto.crm.common.v1 import common_pb2
from crm_proto.crm.sales.v1 import (
    events_pb2,
    leads_pb2,
    leads_pb2_grpc,
    teams_pb2,
    teams_pb2_grpc,
)
from crm_sales.adapters import orm
from crm_sales.domain.leads import Contact
from crm_sales.domain.teams import LeadSource
from crm_sales.entrypoints import leads_api, teams_api
from crm_sales.service_layer.leads import ConvertedCustomer, CustomersUnavailable, LeadHandlers
from crm_sales.service_layer.teams import TeamHandlers
from google.protobuf.field_mask_pb2 import FieldMask
from sqlalchemy import Engine

from tests.customer.integration.support import outbox_events
from tests.sales.integration.conftest import unit_of_work

L, T = leads_pb2, teams_pb2
ADMIN = staff_token("admin", subject="admin-1")
REP = staff_token("sales_rep", subject="rep-1")
IDLE_REP = staff_token("sales_rep", subject="rep-2")  # an inactive member of the team
STRANGER = staff_token("sales_rep", subject="rep-9")  # in no team


class Customers:
    """The customer service behind conversion: new customers by email, or down."""

    def __init__(self) -> None:
        self.by_email: dict[str, uuid.UUID] = {}
        self.down = False

    def customer_for(self, contact: Contact, source: LeadSource) -> ConvertedCustomer:
        if self.down:
            raise CustomersUnavailable("down")
        known = self.by_email.get(contact.email)
        if known is not None:
            return ConvertedCustomer(known, False)
        self.by_email[contact.email] = uuid.uuid4()
        return ConvertedCustomer(self.by_email[contact.email], True)


@pytest.fixture
def registry() -> Customers:
    return Customers()


@pytest.fixture
def channel(engine: Engine, registry: Customers) -> Iterator[grpc.Channel]:
    uow = unit_of_work(engine)
    bindings = [
        teams_api.binding(TeamHandlers(uow)),
        leads_api.binding(LeadHandlers(uow, registry)),
    ]
    policy = policy_of(teams_api.SERVICE, leads_api.SERVICE)
    with serving(bindings, policy, database=lambda: ping(engine)) as target:
        channel = grpc.insecure_channel(target)
        grpc.channel_ready_future(channel).result(timeout=10)
        yield channel
        channel.close()


@pytest.fixture
def leads(channel: grpc.Channel) -> leads_pb2_grpc.LeadServiceStub:
    return leads_pb2_grpc.LeadServiceStub(channel)


@pytest.fixture
def teams(channel: grpc.Channel) -> teams_pb2_grpc.TeamServiceStub:
    return teams_pb2_grpc.TeamServiceStub(channel)


def call(rpc: Any, token: str, request: Any) -> Any:
    return rpc(request, metadata=bearer(token), timeout=10)


def refused(rpc: Any, token: str, request: Any) -> ErrorDetails:
    with pytest.raises(grpc.RpcError) as error:
        rpc(request, metadata=bearer(token), timeout=10)
    return details_of(error.value)


def south_team(teams: teams_pb2_grpc.TeamServiceStub) -> T.Team:
    team = call(
        teams.CreateTeam, ADMIN,
        T.CreateTeamRequest(
            name="South", rule=T.AssignmentRule(regions=["South"]),
            stage_probabilities={"qualification": "30"}, score_points={"source=web": 25},
        ),
    )  # fmt: skip
    call(
        teams.SetTeamMember,
        ADMIN,
        T.SetTeamMemberRequest(team_id=team.id, user_id="rep-2", monthly_capacity=9, active=False),
    )
    return call(
        teams.SetTeamMember,
        ADMIN,
        T.SetTeamMemberRequest(team_id=team.id, user_id="rep-1", monthly_capacity=2, active=True),
    )


def capture(leads: leads_pb2_grpc.LeadServiceStub, token: str = ADMIN, **contact: Any) -> L.Lead:
    details = {"name": "Li Wei", "company": "Acme", "email": "li@acme.cn", "region": "south"}
    details.update(contact)
    request = L.CreateLeadRequest(
        source=L.LEAD_SOURCE_WEB, contact=L.LeadContact(**details), tags=["Tables"]
    )
    return call(leads.CreateLead, token, request)


def test_a_captured_lead_is_scored_and_assigned_to_the_active_rep_by_rule(
    leads: leads_pb2_grpc.LeadServiceStub, teams: teams_pb2_grpc.TeamServiceStub, engine: Engine
) -> None:
    team = south_team(teams)
    assert [(m.user_id, m.active) for m in team.members] == [("rep-1", True), ("rep-2", False)]
    lead = capture(leads)
    assert (lead.status, lead.owner_id, lead.team_id) == (L.LEAD_STATUS_ASSIGNED, "rep-1", team.id)
    assert "source=web: +25" in lead.score_reasons  # the team's points
    assert Decimal(0) < Decimal(lead.win_probability) < Decimal(1)
    assert (
        call(teams.GetTeam, REP, T.GetTeamRequest(id=team.id)).members[0].assigned_this_month == 1
    )

    events = outbox_events(engine)
    created, assigned = (event.message for event in events[-2:])
    assert isinstance(created, events_pb2.LeadCreated)
    assert created.version == 1
    assert isinstance(assigned, events_pb2.LeadAssigned)
    assert (assigned.to_owner_id, assigned.to_team_id, assigned.reason, assigned.version) == (
        "rep-1", team.id, L.ASSIGNMENT_REASON_ROUND_ROBIN, 2,
    )  # fmt: skip
    assert assigned.actor == common_pb2.Actor(subject="admin-1", kind=common_pb2.ACTOR_KIND_STAFF)

    # rep-1 sees it, so does the (inactive) team mate; a rep of no team does not
    assert call(leads.GetLead, REP, L.GetLeadRequest(id=lead.id)).id == lead.id
    assert call(leads.GetLead, IDLE_REP, L.GetLeadRequest(id=lead.id)).id == lead.id
    missing = refused(leads.GetLead, STRANGER, L.GetLeadRequest(id=lead.id))
    assert missing.code == grpc.StatusCode.NOT_FOUND
    listed = call(leads.ListLeads, STRANGER, L.ListLeadsRequest())
    assert list(listed.leads) == []
    mine = call(
        leads.ListLeads, REP, L.ListLeadsRequest(team_id=team.id, status=L.LEAD_STATUS_ASSIGNED)
    )
    assert [found.id for found in mine.leads] == [lead.id]


def test_capacity_used_up_leaves_leads_in_the_team_queue(
    leads: leads_pb2_grpc.LeadServiceStub, teams: teams_pb2_grpc.TeamServiceStub
) -> None:
    team = south_team(teams)  # rep-1 takes 2 a month
    owners = [capture(leads, email=f"n{i}@acme.cn", phone="").owner_id for i in range(3)]
    assert owners == ["rep-1", "rep-1", ""]
    queue = call(
        leads.ListLeads, ADMIN, L.ListLeadsRequest(team_id=team.id, status=L.LEAD_STATUS_NEW)
    )
    assert [(lead.owner_id, lead.team_id) for lead in queue.leads] == [("", team.id)]


def test_a_duplicate_is_merged_into_the_open_lead(
    leads: leads_pb2_grpc.LeadServiceStub, engine: Engine
) -> None:
    first = capture(leads, phone="+86 138 0000 0000")
    again = capture(leads, email="LI@acme.cn", phone="")
    request = L.CreateLeadRequest(
        source=L.LEAD_SOURCE_PHONE,
        contact=L.LeadContact(name="Li", phone="+8613800000000"),
        tags=["chairs"],
    )
    by_phone = call(leads.CreateLead, ADMIN, request)
    assert first.id == again.id == by_phone.id
    assert sorted(by_phone.tags) == ["chairs", "tables"]
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(orm.leads)).scalar() == 1
    merged = [
        e.message for e in outbox_events(engine) if isinstance(e.message, events_pb2.LeadMerged)
    ]
    assert [event.version for event in merged] == [2, 3]


def test_bad_input_and_refusals_change_nothing(
    leads: leads_pb2_grpc.LeadServiceStub, teams: teams_pb2_grpc.TeamServiceStub, engine: Engine
) -> None:
    bad = refused(
        leads.CreateLead, REP,
        L.CreateLeadRequest(source=L.LEAD_SOURCE_WEB, contact=L.LeadContact(email="nope")),
    )  # fmt: skip
    assert bad.code == grpc.StatusCode.INVALID_ARGUMENT
    assert [v.field for v in bad.violations] == ["contact.email"]
    nobody = refused(
        leads.CreateLead,
        REP,
        L.CreateLeadRequest(source=L.LEAD_SOURCE_WEB, contact=L.LeadContact(city="Xi'an")),
    )
    assert [v.field for v in nobody.violations] == ["contact"]
    assert (
        refused(teams.CreateTeam, REP, T.CreateTeamRequest(name="Mine")).code
        == grpc.StatusCode.PERMISSION_DENIED
    )
    bad_stage = refused(
        teams.CreateTeam, ADMIN, T.CreateTeamRequest(name="X", stage_probabilities={"nope": "10"})
    )
    assert [v.field for v in bad_stage.violations] == ["stage_probabilities.nope"]
    negative = refused(
        teams.SetTeamMember,
        ADMIN,
        T.SetTeamMemberRequest(team_id=str(uuid.uuid4()), user_id="a", monthly_capacity=-1),
    )
    assert negative.code == grpc.StatusCode.INVALID_ARGUMENT
    assert outbox_events(engine) == []

    lead = capture(leads, REP)
    early = refused(leads.QualifyLead, REP, L.LeadStepRequest(id=lead.id))
    assert early.code == grpc.StatusCode.FAILED_PRECONDITION
    stale = refused(
        leads.AssignLead, REP, L.AssignLeadRequest(id=lead.id, owner_id="rep-1", expected_version=7)
    )
    assert stale.code == grpc.StatusCode.ABORTED
    others = refused(leads.AssignLead, REP, L.AssignLeadRequest(id=lead.id, owner_id="rep-3"))
    assert others.code == grpc.StatusCode.PERMISSION_DENIED
    assert call(leads.GetLead, REP, L.GetLeadRequest(id=lead.id)).version == 1


def test_a_lead_is_worked_and_converted(
    leads: leads_pb2_grpc.LeadServiceStub, engine: Engine, registry: Customers
) -> None:
    lead = capture(leads, REP)
    lead = call(leads.AssignLead, REP, L.AssignLeadRequest(id=lead.id, owner_id="rep-1"))
    lead = call(
        leads.UpdateLead, REP,
        L.UpdateLeadRequest(id=lead.id, update_mask=FieldMask(paths=["notes"]), notes="Budget 20k"),
    )  # fmt: skip
    lead = call(
        leads.OverrideLeadScore,
        REP,
        L.OverrideLeadScoreRequest(id=lead.id, win_probability="0.8", reason="Met the CEO"),
    )
    assert (lead.win_probability, lead.score_overridden) == ("0.8", True)
    lead = call(
        leads.QualifyLead, REP, L.LeadStepRequest(id=lead.id, expected_version=lead.version)
    )

    registry.down = True
    down = refused(leads.ConvertLead, REP, L.ConvertLeadRequest(id=lead.id))
    assert down.code == grpc.StatusCode.UNAVAILABLE
    registry.down = False
    converted = call(
        leads.ConvertLead,
        REP,
        L.ConvertLeadRequest(id=lead.id, opportunity_title="Tables", expected_close="2027-03-31"),
    )
    assert converted.lead.status == L.LEAD_STATUS_CONVERTED
    assert converted.customer_created
    assert (
        converted.lead.customer_id == converted.customer_id == str(registry.by_email["li@acme.cn"])
    )
    with engine.connect() as connection:
        opportunity = connection.execute(sa.select(orm.opportunities)).one()
    assert (str(opportunity.id), str(opportunity.lead_id), opportunity.owner_id) == (
        converted.opportunity_id, lead.id, "rep-1",
    )  # fmt: skip
    types = [event.type.rsplit(".", 1)[-1] for event in outbox_events(engine)]
    assert types[:6] == [
        "LeadCreated",
        "LeadAssigned",
        "LeadUpdated",
        "LeadScored",
        "LeadQualified",
        "LeadConverted",
    ]
    assert "OpportunityOpened" in types
    again = refused(leads.ConvertLead, REP, L.ConvertLeadRequest(id=lead.id))
    assert again.code == grpc.StatusCode.FAILED_PRECONDITION


def test_concurrent_captures_keep_the_rotation_and_the_quotas(
    leads: leads_pb2_grpc.LeadServiceStub, teams: teams_pb2_grpc.TeamServiceStub
) -> None:
    team = call(teams.CreateTeam, ADMIN, T.CreateTeamRequest(name="Busy"))
    for user in ("rep-a", "rep-b", "rep-c"):
        member = T.SetTeamMemberRequest(
            team_id=team.id, user_id=user, monthly_capacity=4, active=True
        )
        call(teams.SetTeamMember, ADMIN, member)

    def capture_many(worker: int) -> list[str]:
        owners = []
        for n in range(4):
            contact = L.LeadContact(name=f"Lead {worker}-{n}", email=f"w{worker}n{n}@acme.cn")
            request = L.CreateLeadRequest(source=L.LEAD_SOURCE_WEB, contact=contact)
            for _attempt in range(20):  # ABORTED: another capture took the turn; try again
                try:
                    owners.append(call(leads.CreateLead, ADMIN, request).owner_id)
                    break
                except grpc.RpcError as error:
                    if error.code() != grpc.StatusCode.ABORTED:
                        raise
        return owners

    with ThreadPoolExecutor(4) as pool:
        owners = [owner for batch in pool.map(capture_many, range(4)) for owner in batch]
    assert Counter(owners) == {"rep-a": 4, "rep-b": 4, "rep-c": 4, "": 4}


def test_a_contact_changed_to_another_open_leads_is_refused_with_its_id(
    leads: leads_pb2_grpc.LeadServiceStub, engine: Engine
) -> None:
    first = capture(leads, email="li@acme.cn")
    other = capture(leads, name="Zhang Min", email="zhang@acme.cn")
    request = L.UpdateLeadRequest(
        id=other.id,
        update_mask=FieldMask(paths=["contact"]),
        contact=L.LeadContact(name="Zhang Min", email="Li@Acme.cn"),
    )

    details = refused(leads.UpdateLead, ADMIN, request)

    assert details.code == grpc.StatusCode.ALREADY_EXISTS
    assert details.existing_id == first.id
    with engine.connect() as connection:
        emails = connection.execute(
            sa.select(orm.leads.c.email_key).order_by(orm.leads.c.created_at)
        ).scalars()
        assert list(emails) == ["li@acme.cn", "zhang@acme.cn"]
    updated = [e for e in outbox_events(engine) if isinstance(e.message, events_pb2.LeadUpdated)]
    assert updated == []
