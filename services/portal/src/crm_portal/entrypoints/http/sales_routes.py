"""The /api/v1 routes of the sales service (rows that gateway.py serves, like routes.py's):
one section per part of the service, each with its own gRPC service in proto/crm/sales/v1."""

from __future__ import annotations

from typing import Any

from crm_proto.crm.sales.v1 import (
    activities_pb2,
    expenses_pb2,
    leads_pb2,
    opportunities_pb2,
    performance_pb2,
    quotes_pb2,
    sales_pb2,
    teams_pb2,
)
from google.protobuf.descriptor import MethodDescriptor, ServiceDescriptor

from crm_portal.entrypoints.http.gateway import WHOLE_REQUEST, Route

SALES = sales_pb2.DESCRIPTOR.services_by_name["SalesService"]


def _sales(name: str) -> MethodDescriptor:
    return SALES.methods_by_name[name]


ORDER = "/sales/orders/<uuid:order_id>"
ORDER_ID = {"order_id": "the order's id"}
OWN_ORDER = "/portal/orders/<uuid:order_id>"
ORDERS = ("orders",)
PORTAL = ("portal",)
CHANGE = "If-Match (or the body's `version`) makes the step apply only to that version (409)."
LOYALTY_POINTS = (
    'Body `{"points": 500}`: once, on a priced order before either side signs; the customer '
    "service redeems them (never more than the balance) and the milestones ask for the rest."
)


def _step(
    rpc: str,
    rule: str,
    summary: str,
    *,
    endpoint: str | None = None,
    tags: tuple[str, ...] = ORDERS,
    body_required: bool = False,
    description: str | None = None,
) -> Route:
    """A workflow step on one order: POST, the order's id from the path, the version it
    expects, and the step's own fields (if any) in the body."""
    return Route(
        "POST", rule, _sales(rpc), summary=summary, answer="The order after the step",
        tags=tags, description=f"{description} {CHANGE}" if description else CHANGE,
        path={"order_id": "id"}, path_docs=ORDER_ID, body=WHOLE_REQUEST,
        body_required=body_required, version="expected_version", problems=(409,),
        endpoint=endpoint,
    )  # fmt: skip


# orders through the agency's workflow, for staff, and the customer's own
ORDER_ROUTES = (
    Route(
        "POST", "/sales/orders", _sales("PlaceOrder"),
        summary="Place an order for a customer", answer="The new order", tags=ORDERS,
        description="A sales rep's order is theirs unless `owner_id` names another.",
        body=WHOLE_REQUEST, status=201, location="get_order", idempotent=True,
    ),
    Route(
        "GET", "/sales/orders", _sales("ListOrders"),
        summary="List orders", answer="A page of orders, newest first", tags=ORDERS,
        description="A sales rep sees the orders they own and those nobody owns yet.",
    ),
    Route(
        "GET", ORDER, _sales("GetOrder"),
        summary="Get an order", answer="The order, with the steps the caller may take",
        tags=ORDERS, path={"order_id": "id"}, path_docs=ORDER_ID,
    ),
    _step("ConfirmOrder", f"{ORDER}/confirm", "Confirm an order"),
    _step(
        "SendProposal", f"{ORDER}/proposal", "Send the proposal", body_required=True,
        description="Body `{\"proposal\": \"...\"}`; again after a revision request.",
    ),
    _step(
        "PriceOrder", f"{ORDER}/price", "Agree the price and payment terms (managers)",
        body_required=True,
        description="Body `{\"amount\": {\"currency_code\": \"CNY\", \"amount\": \"1000.00\"}}`, "
        "and `terms` (default: 10 % on signing, 25 % and 10 % at 30 and 60 days, 55 % on "
        "acceptance).",
    ),
    _step(
        "RedeemLoyaltyPoints", f"{ORDER}/loyalty-points",
        "Take a customer's points off the price",
        body_required=True, description=LOYALTY_POINTS,
    ),
    _step(
        "SignContract", f"{ORDER}/sign", "Sign the contract for the company",
        description="The contract is signed when the customer has signed too; its payment "
        "milestones are then scheduled.",
    ),
    _step("StartProduction", f"{ORDER}/start-production", "Start production"),
    _step("DeliverOrder", f"{ORDER}/deliver", "Deliver (accepted today)"),
    _step("StartAfterSales", f"{ORDER}/after-sales", "Start after-sales"),
    _step("CloseOrder", f"{ORDER}/close", "Close an order (managers)"),
    _step(
        "CancelOrder", f"{ORDER}/cancel", "Cancel an order before its contract is signed",
        body_required=True, description="Body `{\"reason\": \"...\"}`.",
    ),
    _step(
        "AssignOrderPartner", f"{ORDER}/partner", "Outsource an order to a partner (managers)",
        body_required=True,
        description="Body `{\"partner_id\": \"<uuid>\"}`; an empty `partner_id` takes it "
        "back. The partner's users then see the order.",
    ),
    Route(
        "POST", f"{ORDER}/milestones/<int:number>/pay", _sales("PayMilestone"),
        summary="Record a milestone's payment (finance)", answer="The order after the payment",
        tags=ORDERS, description=f"Body `{{\"reference\": \"...\"}}`. {CHANGE}",
        path={"order_id": "id", "number": "number"},
        path_docs={**ORDER_ID, "number": "the milestone's number, from 1"},
        body=WHOLE_REQUEST, version="expected_version", problems=(409,),
    ),
    # the customer's own orders: another customer's order is a 404
    Route(
        "POST", "/portal/orders", _sales("PlaceOrder"),
        summary="Place an order", answer="The new order", tags=PORTAL,
        body=WHOLE_REQUEST, writable=("title", "description"), status=201,
        location="get_own_order", idempotent=True, endpoint="place_own_order",
    ),
    Route(
        "GET", "/portal/orders", _sales("ListOrders"),
        summary="List my orders", answer="A page of my orders, newest first", tags=PORTAL,
        endpoint="list_own_orders",
    ),
    Route(
        "GET", OWN_ORDER, _sales("GetOrder"),
        summary="Get my order", answer="The order, with the steps I may take", tags=PORTAL,
        path={"order_id": "id"}, path_docs=ORDER_ID, endpoint="get_own_order",
    ),
    _step(
        "ApproveProposal", f"{OWN_ORDER}/approve-proposal", "Approve the proposal",
        endpoint="approve_own_proposal", tags=PORTAL,
    ),
    _step(
        "RequestRevision", f"{OWN_ORDER}/request-revision", "Ask for another proposal",
        endpoint="request_own_revision", tags=PORTAL, body_required=True,
        description="Body `{\"note\": \"what to change\"}`.",
    ),
    _step(
        "RedeemLoyaltyPoints", f"{OWN_ORDER}/loyalty-points", "Pay part of my order with points",
        endpoint="redeem_own_points", tags=PORTAL, body_required=True,
        description=LOYALTY_POINTS,
    ),
    _step(
        "SignContract", f"{OWN_ORDER}/sign", "Sign the contract",
        endpoint="sign_own_contract", tags=PORTAL,
    ),
    _step(
        "CancelOrder", f"{OWN_ORDER}/cancel", "Cancel my order before the contract is signed",
        endpoint="cancel_own_order", tags=PORTAL, body_required=True,
        description="Body `{\"reason\": \"...\"}`.",
    ),
)  # fmt: skip


# -- activities: calls, meetings, tasks and emails; a rep's calendar --------------------------

ACTIVITIES = activities_pb2.DESCRIPTOR.services_by_name["ActivityService"]
ACTIVITY = "/sales/activities/<uuid:activity_id>"
ACTIVITY_ID = {"activity_id": "the activity's id"}
ACTIVITY_TAGS = ("activities",)
CALENDAR_RANGE = "`from` and `to` (RFC 3339) bound the due times, [from, to), at most 92 days."


def _activity(method: str, rule: str, rpc: str, summary: str, answer: str, **fields: Any) -> Route:
    return Route(
        method, rule, ACTIVITIES.methods_by_name[rpc], summary=summary, answer=answer,
        tags=ACTIVITY_TAGS, **fields,
    )  # fmt: skip


def _activity_change(rpc: str, suffix: str, summary: str, description: str) -> Route:
    """A change of one activity: POST, its id from the path, the version it expects."""
    return _activity(
        "POST", f"{ACTIVITY}/{suffix}", rpc, summary, "The activity after the change",
        description=f"{description} {CHANGE}", path={"activity_id": "id"},
        path_docs=ACTIVITY_ID, body=WHOLE_REQUEST, body_required=False,
        version="expected_version", problems=(409,),
    )  # fmt: skip


ACTIVITY_ROUTES = (
    _activity(
        "POST", "/sales/activities", "ScheduleActivity", "Schedule an activity",
        "The new activity", status=201, location="get_activity", body=WHOLE_REQUEST,
        description="A call, meeting (with `duration_minutes`), task or email about a lead, "
        "opportunity, order or customer (`subject_kind`, `subject_id`); a rep's is theirs "
        "unless `owner_id` names a colleague.",
    ),
    _activity(
        "GET", "/sales/activities", "ListActivities", "List activities",
        "A page of activities, earliest due first",
        description="Filters: `owner_id`, `subject_kind` with `subject_id`, `kind`, `done` "
        "(true or false), `due_from`, `due_to`.",
    ),
    _activity(
        "GET", "/sales/activities/overdue", "ListOverdueActivities", "List overdue activities",
        "A page of the activities not done and due before now, earliest first",
    ),
    _activity(
        "GET", ACTIVITY, "GetActivity", "Get an activity", "The activity",
        path={"activity_id": "id"}, path_docs=ACTIVITY_ID,
    ),
    _activity_change(
        "RescheduleActivity", "reschedule", "Reschedule an activity",
        "Body `{\"due_at\": \"...\", \"duration_minutes\": 30}`.",
    ),
    _activity_change(
        "CompleteActivity", "complete", "Log an activity as done",
        "Body: `outcome` for a call (reached, no_answer, left_message, wrong_number), a "
        "`note`, and `create_follow_up` to schedule the follow-up its kind suggests (else it "
        "is only answered).",
    ),
    _activity_change(
        "CancelActivity", "cancel", "Cancel an activity", "Body `{\"reason\": \"...\"}`.",
    ),
    _activity(
        "GET", "/sales/calendar", "GetCalendar", "A rep's calendar",
        "The activities due in the range, by due time",
        description=f"{CALENDAR_RANGE} `owner_id`: a team member's (default: mine).",
    ),
    _activity(
        "GET", "/sales/calendar.ics", "GetCalendarIcs", "A rep's calendar as iCalendar",
        "text/calendar: a VEVENT per call and meeting, a VTODO per task and email",
        text=("icalendar", "text/calendar"),
        description=f"{CALENDAR_RANGE} For a calendar application to subscribe to.",
    ),
)  # fmt: skip


# -- quotes, expenses, targets and scorecards ------------------------------------------------------

QUOTES = quotes_pb2.DESCRIPTOR.services_by_name["QuoteService"]
EXPENSES = expenses_pb2.DESCRIPTOR.services_by_name["ExpenseService"]
PERFORMANCE = performance_pb2.DESCRIPTOR.services_by_name["PerformanceService"]
QUOTE = "/sales/quotes/<uuid:quote_id>"
OWN_QUOTE = "/portal/quotes/<uuid:quote_id>"
QUOTE_ID = {"quote_id": "the quote's id"}
EXPENSE = "/sales/expenses/<uuid:expense_id>"
EXPENSE_ID = {"expense_id": "the expense's id"}
QUOTE_TAGS, EXPENSE_TAGS, PERFORMANCE_TAGS = ("quotes",), ("expenses",), ("performance",)


def _change(
    service: ServiceDescriptor,
    rpc: str,
    rule: str,
    path: dict[str, str],
    summary: str,
    answer: str,
    tags: tuple[str, ...],
    *,
    description: str = "",
    endpoint: str | None = None,
    problems: tuple[int, ...] = (409,),
) -> Route:
    """A step on one record: POST, its id from the path, the version it expects, the step's
    own fields (if any) in the body."""
    (parameter,) = path
    return Route(
        "POST", rule, service.methods_by_name[rpc], summary=summary, answer=answer, tags=tags,
        description=f"{description} {CHANGE}".strip(), path={parameter: "id"}, path_docs=path,
        body=WHOLE_REQUEST, body_required=False, version="expected_version", problems=problems,
        endpoint=endpoint,
    )  # fmt: skip


def _quote_step(rpc: str, suffix: str, summary: str, description: str = "") -> Route:
    return _change(
        QUOTES, rpc, f"{QUOTE}/{suffix}", QUOTE_ID, summary, "The quote after the step",
        QUOTE_TAGS, description=description,
    )  # fmt: skip


def _own_quote_step(rpc: str, suffix: str, summary: str, description: str = "") -> Route:
    return _change(
        QUOTES, rpc, f"{OWN_QUOTE}/{suffix}", QUOTE_ID, summary, "The quote after my answer",
        PORTAL, description=description, endpoint=f"{suffix}_own_quote",
    )  # fmt: skip


def _expense_step(rpc: str, suffix: str, summary: str, description: str = "") -> Route:
    return _change(
        EXPENSES, rpc, f"{EXPENSE}/{suffix}", EXPENSE_ID, summary,
        "The expense after the step", EXPENSE_TAGS, description=description,
    )  # fmt: skip


APPROVAL = (
    "A line discount above the approval threshold (15 % unless configured) needs a manager's "
    "approval before the quote is sent (409 until then)."
)

QUOTE_ROUTES = (
    Route(
        "POST", "/sales/quotes", QUOTES.methods_by_name["CreateQuote"],
        summary="Draft a quote", answer="The new quote, with its totals", tags=QUOTE_TAGS,
        description="Lines: `product_code`, `quantity`, `unit_price` (without one: the price "
        "list's; 409 when there is no price list service, 503 when it does not answer), "
        f"`discount_percent`, `tax_rate_percent`. A rep's quote is theirs. {APPROVAL}",
        body=WHOLE_REQUEST, status=201, location="get_quote", problems=(409, 503),
    ),
    Route(
        "GET", "/sales/quotes", QUOTES.methods_by_name["ListQuotes"],
        summary="List quotes", answer="A page of quotes, newest first", tags=QUOTE_TAGS,
    ),
    Route(
        "GET", QUOTE, QUOTES.methods_by_name["GetQuote"], summary="Get a quote",
        answer="The quote with its lines and totals", tags=QUOTE_TAGS,
        path={"quote_id": "id"}, path_docs=QUOTE_ID,
    ),
    _change(
        QUOTES, "SetQuoteLines", f"{QUOTE}/lines", QUOTE_ID, "Replace a quote's lines",
        "The quote, a draft again", QUOTE_TAGS, problems=(409, 503),
        description="Body `{\"lines\": [...]}`, before it is sent; an approval is dropped.",
    ),
    _quote_step("RequestQuoteApproval", "request-approval", "Ask a manager to approve",
                APPROVAL),
    _quote_step("ApproveQuote", "approve", "Approve a quote's discount (managers)"),
    _quote_step("RejectQuoteDiscount", "reject-discount", "Refuse a quote's discount (managers)",
                "Body `{\"reason\": \"...\"}`: the quote is a draft again."),
    _quote_step("SendQuote", "send", "Send a quote to its customer", APPROVAL),
    # the customer's: only quotes sent to them (any other is a 404)
    Route(
        "GET", "/portal/quotes", QUOTES.methods_by_name["ListQuotes"],
        summary="List the quotes sent to me", answer="A page of my quotes, newest first",
        tags=PORTAL, endpoint="list_own_quotes",
    ),
    Route(
        "GET", OWN_QUOTE, QUOTES.methods_by_name["GetQuote"], summary="Get a quote sent to me",
        answer="The quote", tags=PORTAL, path={"quote_id": "id"}, path_docs=QUOTE_ID,
        endpoint="get_own_quote",
    ),
    _own_quote_step("AcceptQuote", "accept", "Accept a quote",
                    "Until its `valid_until` date (409 after)."),
    _own_quote_step("RejectQuote", "reject", "Decline a quote",
                    "Body `{\"reason\": \"...\"}` (optional)."),
)  # fmt: skip

EXPENSE_ROUTES = (
    Route(
        "POST", "/sales/expenses", EXPENSES.methods_by_name["SubmitExpense"],
        summary="Submit an expense", answer="The expense, submitted", tags=EXPENSE_TAGS,
        description="The caller's own: `amount`, `category` (travel, meals, lodging, "
        "entertainment, materials, other), `spent_on` (not in the future), `description`, "
        "and optionally `deal_kind` + `deal_id` and `receipt_reference`.",
        body=WHOLE_REQUEST, status=201, location="get_expense",
    ),
    Route(
        "GET", "/sales/expenses", EXPENSES.methods_by_name["ListExpenses"],
        summary="List expenses", answer="A page of expenses, newest first", tags=EXPENSE_TAGS,
    ),
    Route(
        "GET", EXPENSE, EXPENSES.methods_by_name["GetExpense"], summary="Get an expense",
        answer="The expense", tags=EXPENSE_TAGS, path={"expense_id": "id"},
        path_docs=EXPENSE_ID,
    ),
    _expense_step("ApproveExpense", "approve", "Approve an expense",
                  "By a manager of the rep's team or an admin, never by the rep."),
    _expense_step("RejectExpense", "reject", "Reject an expense", "Body `{\"reason\": \"...\"}`."),
    _expense_step("ReimburseExpense", "reimburse", "Reimburse an approved expense (finance)",
                  "Body `{\"payment_reference\": \"...\"}`."),
)  # fmt: skip

PERIOD = "`period`: a month (2025-03) or a quarter (2025-Q1)."

PERFORMANCE_ROUTES = (
    Route(
        "POST", "/sales/targets", PERFORMANCE.methods_by_name["SetSalesTarget"],
        summary="Set a rep's sales target (managers)", answer="The target",
        tags=PERFORMANCE_TAGS, body=WHOLE_REQUEST, problems=(409,),
        description=f"Body `rep_id`, `period`, `amount`; replaces the period's target. {PERIOD}",
    ),
    Route(
        "GET", "/sales/targets", PERFORMANCE.methods_by_name["ListSalesTargets"],
        summary="List sales targets", answer="The targets, by period then rep",
        tags=PERFORMANCE_TAGS, description=f"Optionally by `rep_id` and {PERIOD}",
    ),
    Route(
        "GET", "/sales/scorecards/<rep_id>", PERFORMANCE.methods_by_name["GetRepScorecard"],
        summary="A rep's scorecard", tags=PERFORMANCE_TAGS,
        answer="Won against the target, win rate, cycle length and activities of the period",
        path={"rep_id": "rep_id"}, path_docs={"rep_id": "the rep's user id"},
        description=f"{PERIOD} A rep sees their own, a manager their team's.",
    ),
)  # fmt: skip

# -- teams and leads ----------------------------------------------------------------------------

TEAMS = teams_pb2.DESCRIPTOR.services_by_name["TeamService"]
LEADS = leads_pb2.DESCRIPTOR.services_by_name["LeadService"]
TEAM = "/sales/teams/<uuid:team_id>"
TEAM_ID = {"team_id": "the team's id"}
MEMBER = f"{TEAM}/members/<user_id>"
MEMBER_DOCS = {"team_id": "the team's id", "user_id": "the member's staff subject"}
LEAD = "/sales/leads/<uuid:lead_id>"
LEAD_ID = {"lead_id": "the lead's id"}
TEAM_TAGS, LEAD_TAGS = ("teams",), ("leads",)
TEAM_FIELDS = ("name", "rule", "stage_probabilities", "score_points")


def _team(method: str, rule: str, rpc: str, summary: str, answer: str, **fields: Any) -> Route:
    return Route(
        method, rule, TEAMS.methods_by_name[rpc], summary=summary, answer=answer,
        tags=TEAM_TAGS, **fields,
    )  # fmt: skip


def _lead(method: str, rule: str, rpc: str, summary: str, answer: str, **fields: Any) -> Route:
    return Route(
        method, rule, LEADS.methods_by_name[rpc], summary=summary, answer=answer,
        tags=LEAD_TAGS, **fields,
    )  # fmt: skip


def _lead_step(rpc: str, suffix: str, summary: str, description: str = "") -> Route:
    return _change(
        LEADS, rpc, f"{LEAD}/{suffix}", LEAD_ID, summary, "The lead after the change",
        LEAD_TAGS, description=description,
    )  # fmt: skip


TEAM_ROUTES = (
    _team(
        "POST", "/sales/teams", "CreateTeam", "Create a team", "The new team", status=201,
        location="get_team", body=WHOLE_REQUEST,
        description="Admins and managers. `rule`: the `regions`, `sources` and `sizes` of the "
        "new leads it takes (empty: any); `stage_probabilities`: percent by open pipeline "
        "stage; `score_points`: scoring keys (\"source=web\") over the defaults.",
    ),
    _team("GET", "/sales/teams", "ListTeams", "List teams", "A page of teams, oldest first"),
    _team(
        "GET", TEAM, "GetTeam", "Get a team", "The team, with each member's leads this month",
        path={"team_id": "id"}, path_docs=TEAM_ID,
    ),
    _team(
        "PATCH", TEAM, "UpdateTeam", "Change a team", "The team",
        description="Only the fields present change. If-Match (or the body's `version`) makes "
        "the change conditional on the team's version.",
        path={"team_id": "id"}, path_docs=TEAM_ID, body=WHOLE_REQUEST, writable=TEAM_FIELDS,
        mask="update_mask", version="expected_version", problems=(409,),
    ),
    _team(
        "PUT", MEMBER, "SetTeamMember", "Add or change a member", "The team",
        description="Body: `is_manager`, `monthly_capacity` (leads a month, 0 or more), "
        "`active` (an inactive member is never assigned a lead).",
        path={"team_id": "team_id", "user_id": "user_id"}, path_docs=MEMBER_DOCS,
        body=WHOLE_REQUEST, body_required=False, version="expected_version", problems=(409,),
    ),
    _team(
        "DELETE", MEMBER, "RemoveTeamMember", "Remove a member", "The team",
        path={"team_id": "team_id", "user_id": "user_id"}, path_docs=MEMBER_DOCS,
        version="expected_version", problems=(409,),
    ),
)  # fmt: skip

LEAD_ROUTES = (
    _lead(
        "POST", "/sales/leads", "CreateLead", "Capture a lead",
        "The new lead, scored and assigned; or the open lead it was merged into",
        status=201, location="get_lead", body=WHOLE_REQUEST,
        description="`source` (web, phone, sales_rep, distributor, partner, campaign, portal), "
        "`contact` (name, company, email, phone, region, city, company_size), `notes`, `tags`. "
        "Without `owner_id` the teams' rules assign it: a team whose rule matches, then its "
        "next active rep with quota left this month (none: it waits in the team's queue). A "
        "lead with an open lead's email or phone is merged into that one.",
    ),
    _lead(
        "GET", "/sales/leads", "ListLeads", "List leads", "A page of leads, newest first",
        description="Filters: `status`, `owner_id`, `team_id`, `source`.",
    ),
    _lead(
        "GET", LEAD, "GetLead", "Get a lead",
        "The lead, with its score, win probability and their reasons",
        path={"lead_id": "id"}, path_docs=LEAD_ID,
    ),
    _lead(
        "PATCH", LEAD, "UpdateLead", "Change a lead", "The lead, rescored",
        description="Only `contact`, `notes` and `tags` present change. If-Match (or the "
        "body's `version`) makes the change conditional on the lead's version.",
        path={"lead_id": "id"}, path_docs=LEAD_ID, body=WHOLE_REQUEST,
        writable=("contact", "notes", "tags"), mask="update_mask",
        version="expected_version", problems=(409,),
    ),
    _lead_step(
        "AssignLead", "assign", "Assign a lead",
        "Body `{\"owner_id\": \"...\", \"team_id\": \"...\"}`: a manager to anyone, a rep an "
        "unowned lead to themselves.",
    ),
    _lead_step("QualifyLead", "qualify", "Qualify an assigned lead"),
    _lead_step(
        "DisqualifyLead", "disqualify", "Disqualify a lead", "Body `{\"reason\": \"...\"}`.",
    ),
    _lead(
        "POST", f"{LEAD}/merge", "MergeLeads", "Merge a duplicate into this lead",
        "The surviving lead", description="Body `{\"duplicate_id\": \"...\"}`.",
        path={"lead_id": "survivor_id"}, path_docs=LEAD_ID, body=WHOLE_REQUEST,
        problems=(409,),
    ),
    _lead_step(
        "OverrideLeadScore", "score-override", "Override the win probability",
        "Body `{\"win_probability\": \"0.8\", \"reason\": \"...\"}`.",
    ),
    _lead_step(
        "ClearLeadScoreOverride", "score-override/clear", "Give the probability back to the model",
    ),
    _lead_step(
        "ConvertLead", "convert", "Convert a lead into a customer and an opportunity",
        "Body (all optional): `opportunity_title`, `amount`, `expected_close`. The customer is "
        "found or created in the customer service (a known one is linked); blacklisted: 409, "
        "the customer service down: 503; both change nothing.",
    ),
)  # fmt: skip


# -- opportunities: deals through the pipeline; the board and the weighted pipeline ------------

OPPORTUNITIES = opportunities_pb2.DESCRIPTOR.services_by_name["OpportunityService"]
OPPORTUNITY = "/sales/opportunities/<uuid:opportunity_id>"
OPPORTUNITY_ID = {"opportunity_id": "the opportunity's id"}
OPPORTUNITY_TAGS = ("opportunities",)


def _opportunity(
    method: str, rule: str, rpc: str, summary: str, answer: str, **fields: Any
) -> Route:
    return Route(
        method, rule, OPPORTUNITIES.methods_by_name[rpc], summary=summary, answer=answer,
        tags=OPPORTUNITY_TAGS, **fields,
    )  # fmt: skip


def _opportunity_step(rpc: str, suffix: str, summary: str, description: str = "") -> Route:
    """A change of one deal: POST, its id from the path, the version it expects."""
    return _opportunity(
        "POST", f"{OPPORTUNITY}/{suffix}", rpc, summary, "The opportunity after the change",
        description=f"{description} {CHANGE}".strip(), path={"opportunity_id": "id"},
        path_docs=OPPORTUNITY_ID, body=WHOLE_REQUEST, body_required=False,
        version="expected_version", problems=(409,),
    )  # fmt: skip


OPPORTUNITY_ROUTES = (
    _opportunity(
        "POST", "/sales/opportunities", "CreateOpportunity", "Open an opportunity",
        "The new opportunity, in prospecting", status=201, location="get_opportunity",
        body=WHOLE_REQUEST,
        description="`customer_id` (known, not blacklisted), `title`, `amount`, "
        "`expected_close`, `team_id` (whose stage probabilities apply), `contacts`, "
        "`competitors`. A rep's deal is theirs unless `owner_id` names a colleague.",
    ),
    _opportunity(
        "GET", "/sales/opportunities", "ListOpportunities", "List opportunities",
        "A page of opportunities, newest first",
        description="Filters: `stage`, `status`, `owner_id`, `team_id`, `customer_id`.",
    ),
    _opportunity(
        "GET", OPPORTUNITY, "GetOpportunity", "Get an opportunity", "The opportunity",
        path={"opportunity_id": "id"}, path_docs=OPPORTUNITY_ID,
    ),
    _opportunity(
        "PATCH", OPPORTUNITY, "UpdateOpportunity", "Change an opportunity", "The opportunity",
        description="Only the fields present change: `title`, `amount`, `expected_close`, "
        "`contacts`, `competitors`, `probability` (overrides the stage's until it changes). "
        "If-Match (or the body's `version`) makes the change conditional.",
        path={"opportunity_id": "id"}, path_docs=OPPORTUNITY_ID, body=WHOLE_REQUEST,
        writable=("title", "amount", "expected_close", "contacts", "competitors", "probability"),
        mask="update_mask", version="expected_version", problems=(409,),
    ),
    _opportunity_step(
        "MoveOpportunityStage", "stage", "Move to another open stage",
        "Body `{\"stage\": \"proposal\"}`.",
    ),
    _opportunity_step("WinOpportunity", "win", "Win a deal (it needs an amount)"),
    _opportunity_step(
        "LoseOpportunity", "lose", "Lose a deal",
        "Body `{\"reason\": \"competitor\", \"competitor\": \"...\", \"note\": \"...\"}`.",
    ),
    _opportunity_step("RestoreOpportunity", "restore", "Reopen a lost deal where it was lost"),
    _opportunity_step(
        "AssignOpportunity", "assign", "Assign a deal (managers)",
        "Body `{\"owner_id\": \"...\", \"partner_id\": \"...\"}`.",
    ),
    _opportunity(
        "GET", "/sales/pipeline/board", "GetPipelineBoard", "The pipeline board",
        "Per stage: the count, the sum per currency and the first cards",
        description="Filters: `team_id`, `owner_id`; `cards_per_stage` (default 20).",
    ),
    _opportunity(
        "GET", "/sales/pipeline/weighted", "GetWeightedPipeline", "The weighted pipeline",
        "Amount x probability per open stage and in total, per currency",
        description="Filters: `team_id`, `owner_id`, `close_from`, `close_to` (dates).",
    ),
)  # fmt: skip


SALES_ROUTES = (
    *ORDER_ROUTES,
    *ACTIVITY_ROUTES,
    *QUOTE_ROUTES,
    *EXPENSE_ROUTES,
    *PERFORMANCE_ROUTES,
    *TEAM_ROUTES,
    *LEAD_ROUTES,
    *OPPORTUNITY_ROUTES,
)
