"""The /api/v1 routes of the partner service (rows that gateway.py serves, like routes.py's):
the directory, outsourcing with the partners' answers, deal registration, joint campaigns and
scorecards, all under /partners. A partner user's token reaches the rows whose RPCs allow
partner users; the service then shows them their own partner's records only."""

from __future__ import annotations

from crm_platform import enums
from crm_proto.crm.partner.v1 import partner_pb2
from google.protobuf.descriptor import MethodDescriptor

from crm_portal.entrypoints.http.gateway import WHOLE_REQUEST, Route

PARTNERS = partner_pb2.DESCRIPTOR.services_by_name["PartnerService"]
PARTNER = "/partners/<uuid:partner_id>"
PARTNER_ID = {"partner_id": "the partner's id"}
ASSIGNMENT = "/partners/assignments/<uuid:assignment_id>"
ASSIGNMENT_ID = {"assignment_id": "the assignment's id"}
REGISTRATION = "/partners/deal-registrations/<uuid:registration_id>"
REGISTRATION_ID = {"registration_id": "the deal registration's id"}
CAMPAIGN = "/partners/campaigns/<uuid:campaign_id>"
CAMPAIGN_ID = {"campaign_id": "marketing's campaign id"}
DIRECTORY, OUTSOURCING, DEALS, CAMPAIGNS = (
    ("partners",),
    ("outsourcing",),
    ("deal registration",),
    ("joint campaigns",),
)
TIERS = ", ".join(enums.keys(partner_pb2.PartnerTier.DESCRIPTOR))
WORK_KINDS = ", ".join(enums.keys(partner_pb2.WorkKind.DESCRIPTOR))
CHANGE = "If-Match (or the body's `version`) makes the step apply only to that version (409)."
PROFILE = (
    "`name`, `capabilities` and `specialties` (what it is matched on), `regions` (the regions "
    "or country codes it serves), `location` (`{country_code, region, city}`, geocoded), "
    f"`capacity` (concurrent assignments), `tier` ({TIERS}), `rating` (0 to 5, a decimal "
    "string) and `competitor` (never suggested)"
)


def _rpc(name: str) -> MethodDescriptor:
    return PARTNERS.methods_by_name[name]


def _assignment_step(rpc: str, suffix: str, summary: str, description: str) -> Route:
    return Route(
        "POST", f"{ASSIGNMENT}/{suffix}", _rpc(rpc), summary=summary,
        answer="The assignment after the step", tags=OUTSOURCING,
        description=f"{description} {CHANGE}", path={"assignment_id": "id"},
        path_docs=ASSIGNMENT_ID, body=WHOLE_REQUEST, body_required=False,
        version="expected_version", problems=(409,),
    )  # fmt: skip


def _registration_step(rpc: str, suffix: str, summary: str, description: str) -> Route:
    return Route(
        "POST", f"{REGISTRATION}/{suffix}", _rpc(rpc), summary=summary,
        answer="The deal registration after the step", tags=DEALS,
        description=f"{description} {CHANGE}", path={"registration_id": "id"},
        path_docs=REGISTRATION_ID, body=WHOLE_REQUEST, body_required=False,
        version="expected_version", problems=(409,),
    )  # fmt: skip


PARTNER_ROUTES = (
    # the directory
    Route(
        "POST", "/partners", _rpc("CreatePartner"),
        summary="Add a partner", answer="The new partner", tags=DIRECTORY,
        description=f"Admins and managers: {PROFILE}; `inactive: true` lists it without "
        "offering it work.",
        body=WHOLE_REQUEST, status=201, location="get_partner",
    ),
    Route(
        "GET", "/partners", _rpc("ListPartners"),
        summary="List partners", answer="A page of partners, oldest first", tags=DIRECTORY,
        description="Staff; optionally those with one `capability`.",
    ),
    Route(
        "GET", PARTNER, _rpc("GetPartner"),
        summary="Get a partner", answer="The partner with its open assignments",
        tags=DIRECTORY, description="A partner user reads their own partner only (404).",
        path={"partner_id": "id"}, path_docs=PARTNER_ID,
    ),
    Route(
        "PUT", PARTNER, _rpc("UpdatePartner"),
        summary="Change a partner", answer="The partner", tags=DIRECTORY,
        description=f"Admins and managers replace its description: {PROFILE}, and `active`. "
        "If-Match (or the body's `version`) makes the change apply only to that version "
        "(409).",
        path={"partner_id": "id"}, path_docs=PARTNER_ID, body=WHOLE_REQUEST,
        version="expected_version", problems=(409,),
    ),
    Route(
        "GET", f"{PARTNER}/scorecard", _rpc("GetScorecard"),
        summary="A partner's scorecard", answer="Its acceptance, win, on-time and CSAT figures",
        tags=DIRECTORY,
        description="Counted from the work offered to it: acceptance rate and time, the "
        "outsourced deals won, the orders delivered on time. A partner user: their own only.",
        path={"partner_id": "partner_id"}, path_docs=PARTNER_ID,
    ),
    # outsourcing
    Route(
        "POST", "/partners/suggestions", _rpc("ListSuggestions"),
        summary="Suggest partners for a piece of work", answer="The partners, best first",
        tags=OUTSOURCING, reads=True,
        description="`capabilities` the work needs, its `place` (`{country_code, region, "
        "city}`), the `assignment_id` being placed (its earlier partners are left out) and a "
        "`limit`. Active partners that are not competitors and have free capacity, ranked by "
        "capability match, distance (the search widens until one is near), free capacity, "
        "tier and rating.",
        body=WHOLE_REQUEST, body_required=False,
    ),
    Route(
        "POST", "/partners/assignments", _rpc("OutsourceWork"),
        summary="Outsource an order, opportunity or lead", answer="The assignment, offered",
        tags=OUTSOURCING,
        description=f"Staff: `work_kind` ({WORK_KINDS}), sales' `work_id`, the `customer_id`, "
        "the `capabilities` it needs, its `place`, a `due_at` and a `note`; `partner_id` "
        "offers it to that partner, none to the best suggestion. The partner answers within "
        "the business hours of its deadline; a decline or a timeout offers it to the next "
        "suggested partner. A piece of work already outsourced is a 409.",
        body=WHOLE_REQUEST, status=201, location="get_partner_assignment", problems=(409,),
    ),
    Route(
        "GET", "/partners/assignments", _rpc("ListAssignments"),
        summary="List assignments", answer="A page of assignments, newest first",
        tags=OUTSOURCING,
        description="Filters `state`, `partner_id`, `work_id`; a partner user sees the work "
        "offered to their partner.",
    ),
    Route(
        "GET", ASSIGNMENT, _rpc("GetAssignment"),
        summary="Get an assignment", answer="The assignment with every offer", tags=OUTSOURCING,
        description="Another partner's assignment is a 404 for a partner user.",
        path={"assignment_id": "id"}, path_docs=ASSIGNMENT_ID, endpoint="get_partner_assignment",
    ),
    _assignment_step(
        "AcceptAssignment", "accept", "Accept the work offered",
        "The offered partner's user takes the work, before the deadline.",
    ),
    _assignment_step(
        "DeclineAssignment", "decline", "Decline the work offered",
        'The offered partner\'s user refuses it (`{"reason": "..."}`): it is offered to the '
        "next suggested partner.",
    ),
    _assignment_step(
        "WithdrawAssignment", "withdraw", "Take the work back",
        "Admins and managers, from whoever was offered or holds it.",
    ),
    # deal registration
    Route(
        "POST", "/partners/deal-registrations", _rpc("RegisterDeal"),
        summary="Register a deal", answer="The registration, a draft", tags=DEALS,
        description="A partner user: the `customer_id`, sales' `opportunity_id` (if any), a "
        "`title`, the `amount` and `notes`. A customer or opportunity another partner's "
        "approved registration protects is a 409.",
        body=WHOLE_REQUEST, status=201, location="get_deal_registration", problems=(409,),
    ),
    Route(
        "GET", "/partners/deal-registrations", _rpc("ListDealRegistrations"),
        summary="List deal registrations", answer="A page of registrations, newest first",
        tags=DEALS, description="Optionally in one `state`; a partner user sees their own.",
    ),
    Route(
        "GET", REGISTRATION, _rpc("GetDealRegistration"),
        summary="Get a deal registration", answer="The registration", tags=DEALS,
        path={"registration_id": "id"}, path_docs=REGISTRATION_ID,
    ),
    _registration_step(
        "SubmitDealRegistration", "submit", "Submit a deal registration",
        "The partner user's draft goes to staff.",
    ),
    _registration_step(
        "ApproveDealRegistration", "approve", "Approve a deal registration",
        "Admins and managers: the customer and opportunity are protected from other partners.",
    ),
    _registration_step(
        "RejectDealRegistration", "reject", "Reject a deal registration",
        'Admins and managers, saying why (`{"reason": "..."}`).',
    ),
    # joint campaigns
    Route(
        "PUT", f"{CAMPAIGN}/sponsors/<uuid:partner_id>", _rpc("SponsorCampaign"),
        summary="Make a partner a campaign's co-sponsor", answer="The joint campaign",
        tags=CAMPAIGNS,
        description='Body `{"share": "0.4"}`: its part of the campaign\'s cost (the sponsors\' '
        "shares at most 1 together). The campaign's leads are offered to its main sponsor.",
        path={"campaign_id": "campaign_id", "partner_id": "partner_id"},
        path_docs={**CAMPAIGN_ID, **PARTNER_ID}, body=WHOLE_REQUEST,
    ),
    Route(
        "GET", CAMPAIGN, _rpc("GetJointCampaign"),
        summary="Get a joint campaign", answer="Its sponsors, their parts of the cost, its leads",
        tags=CAMPAIGNS, path={"campaign_id": "campaign_id"}, path_docs=CAMPAIGN_ID,
    ),
)  # fmt: skip
