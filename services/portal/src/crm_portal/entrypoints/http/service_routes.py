"""The /api/v1 routes of the service (support) service (rows that gateway.py serves, like
routes.py's): staff's under /service/cases, the customer's own under /portal/cases, where rows
serve the same RPCs as staff's (a customer's case never shows the internal notes)."""

from __future__ import annotations

from crm_platform import enums
from crm_proto.crm.service.v1 import care_pb2, cases_pb2, knowledge_pb2, routing_pb2, sla_pb2
from google.protobuf.descriptor import MethodDescriptor

from crm_portal.entrypoints.http.gateway import WHOLE_REQUEST, Route, RouteLimit

CASES = cases_pb2.DESCRIPTOR.services_by_name["CaseService"]
SURVEYS = care_pb2.DESCRIPTOR.services_by_name["SurveyService"]
SURVEY_TAGS = ("satisfaction and care",)
SURVEY_LINK = "/public/surveys"
SURVEY_TOKEN = {"token": "the signed token of the survey mail's link"}
# a survey link is opened by its customer, and by their mail client's link scanner
PUBLIC_SURVEY_LIMIT = RouteLimit("CRM_PORTAL_PUBLIC_SURVEY_LIMIT", "30/minute;300/hour")
ROUTING = routing_pb2.DESCRIPTOR.services_by_name["RoutingService"]
AGREEMENTS = sla_pb2.DESCRIPTOR.services_by_name["AgreementService"]
AGREEMENT = "/service/agreements/<uuid:agreement_id>"
AGREEMENT_ID = {"agreement_id": "the agreement's id"}
SLA_TAGS = ("sla",)
KNOWLEDGE = knowledge_pb2.DESCRIPTOR.services_by_name["KnowledgeService"]
ARTICLE = "/service/articles/<uuid:article_id>"
OWN_ARTICLE = "/portal/articles/<uuid:article_id>"
ARTICLE_ID = {"article_id": "the article's id"}
KB_TAGS = ("knowledge",)
SEARCH = (
    "`query`: the words to find (any of them; the best match first), optionally in one "
    "`category`, at most `limit` (default 10, up to 50) published articles."
)
AGREEMENT_FIELDS = (
    "`name`, `targets` (each `{case_type, priority, first_response_minutes, "
    "resolution_minutes}`, in business minutes; a type, a priority, both or neither: the most "
    "specific applies, and one with neither is required) and the working `calendar` "
    '(`{"timezone": "Asia/Shanghai", "hours": "mon-fri 09:00-18:00", "holiday_country": '
    '"CN"}`).'
)
CASE = "/service/cases/<uuid:case_id>"
OWN_CASE = "/portal/cases/<uuid:case_id>"
CASE_ID = {"case_id": "the case's id"}
CASE_TAGS, PORTAL, ROUTING_TAGS = ("cases",), ("portal",), ("routing",)
AGENT = "/service/agents/<user_id>"
AGENT_DOCS = {"user_id": "the agent's staff subject"}
CASE_TYPES = ", ".join(enums.keys(cases_pb2.CaseType.DESCRIPTOR))
CHANGE = "If-Match (or the body's `version`) makes the step apply only to that version (409)."
OPEN_FIELDS = ("type", "priority", "subject", "description", "product_ref", "order_ref")


def _cases(name: str) -> MethodDescriptor:
    return CASES.methods_by_name[name]


def _care(name: str) -> MethodDescriptor:
    return care_pb2.DESCRIPTOR.services_by_name["CareService"].methods_by_name[name]


def _surveys(name: str) -> MethodDescriptor:
    return SURVEYS.methods_by_name[name]


def _routing(name: str) -> MethodDescriptor:
    return ROUTING.methods_by_name[name]


def _agreements(name: str) -> MethodDescriptor:
    return AGREEMENTS.methods_by_name[name]


def _knowledge(name: str) -> MethodDescriptor:
    return KNOWLEDGE.methods_by_name[name]


def _step(
    rpc: str,
    rule: str,
    summary: str,
    *,
    description: str = "",
    tags: tuple[str, ...] = CASE_TAGS,
    endpoint: str | None = None,
    body_required: bool = False,
) -> Route:
    """A step on one case: POST, its id from the path, the version it expects, the step's own
    fields (if any) in the body."""
    return Route(
        "POST", rule, _cases(rpc), summary=summary, answer="The case after the step", tags=tags,
        description=f"{description} {CHANGE}".strip(), path={"case_id": "id"},
        path_docs=CASE_ID, body=WHOLE_REQUEST, body_required=body_required,
        version="expected_version", problems=(409,), endpoint=endpoint,
    )  # fmt: skip


SERVICE_ROUTES = (
    Route(
        "POST", "/service/cases", _cases("OpenCase"),
        summary="Open a case", answer="The new case", tags=CASE_TAGS,
        description="`type` (inquiry, complaint, after_sales, suggestion), `priority` (low, "
        "normal, high, urgent), `channel` (portal, email, phone, web_form, staff), `subject`, "
        "`description`, `product_ref`, `order_ref`, and the contact's `contact_email` or "
        "`contact_phone`, whom the customer service recognizes (new, returning or "
        "blacklisted). The case is routed at once: to an available agent with the skill its "
        "type requires and room under their capacity, the one with the fewest open cases, in "
        "turn; nobody free leaves it in the unassigned queue. The customer service away is a "
        "503 and opens nothing.",
        body=WHOLE_REQUEST, status=201, location="get_case",
    ),
    Route(
        "POST", "/service/calls", _cases("LogCall"),
        summary="Log a telephone call", answer="The call's id and its case", tags=CASE_TAGS,
        description="The telephony system's webhook (a machine client with the scope "
        "`service:calls`) or staff: `phone` (the caller of an inbound call, the called of an "
        "outbound one), `direction` (inbound, outbound), `duration_seconds`, `recording_url`, "
        "`started_at`. The caller is recognized by phone; the call joins their newest open "
        "case or opens a phone case (`opened`), as an internal note, and goes on the "
        "customer's timeline. Send the telephony system's call id as `Idempotency-Key`: a "
        "retried webhook then logs nothing twice.",
        body=WHOLE_REQUEST, status=201, idempotent=True,
    ),
    Route(
        "GET", "/service/cases", _cases("ListCases"),
        summary="List cases", answer="A page of cases, newest first", tags=CASE_TAGS,
        description="An agent sees their queue, their teams' cases and the unassigned queue "
        "(`unassigned=true`: only that); filters `status`, `owner_id`, `customer_id`.",
    ),
    Route(
        "GET", CASE, _cases("GetCase"),
        summary="Get a case", answer="The case with its conversation", tags=CASE_TAGS,
        path={"case_id": "id"}, path_docs=CASE_ID,
    ),
    _step(
        "AssignCase", f"{CASE}/assign", "Assign a case", body_required=True,
        description='Body `{"owner_id": "<staff subject>"}`: a manager assigns to anyone, an '
        "agent takes an unassigned case for themselves.",
    ),
    _step("StartCase", f"{CASE}/start", "Start working a case (or resume it)"),
    _step("WaitOnCustomer", f"{CASE}/wait", "Wait on the customer"),
    _step(
        "ResolveCase", f"{CASE}/resolve", "Resolve a case", body_required=True,
        description='Body `{"resolution": "..."}`.',
    ),
    _step("CloseCase", f"{CASE}/close", "Close a resolved case"),
    _step(
        "ReopenCase", f"{CASE}/reopen", "Reopen a case", body_required=True,
        description='Body `{"reason": "..."}`; within the reopen window after its resolution.',
    ),
    _step(
        "AddCaseMessage", f"{CASE}/messages", "Reply, or write an internal note",
        body_required=True,
        description='Body `{"body": "...", "internal": false}`: a reply the customer sees; '
        "`internal: true` is a note they never see.",
    ),
    Route(
        "POST", f"{CASE}/route", _routing("RouteCase"),
        summary="Route a queued case again", answer="The case, assigned", tags=ROUTING_TAGS,
        description="Managers: a case of the unassigned queue goes to the available agent "
        "with the skill and room, as a new case does; nobody free is a 409.",
        path={"case_id": "id"}, path_docs=CASE_ID, problems=(409,),
    ),
    # routing: teams, agents and the skill each case type requires
    Route(
        "POST", "/service/teams", _routing("CreateTeam"),
        summary="Create a service team", answer="The new team", tags=ROUTING_TAGS,
        description="Admins and managers: `name`, and the `manager_id` its escalations go to.",
        body=WHOLE_REQUEST, status=201, problems=(409,), endpoint="create_service_team",
    ),
    Route(
        "GET", "/service/teams", _routing("ListTeams"),
        summary="List service teams", answer="The teams, oldest first", tags=ROUTING_TAGS,
        endpoint="list_service_teams",
    ),
    Route(
        "PUT", AGENT, _routing("PutAgent"),
        summary="Add or change an agent", answer="The agent with their open cases",
        tags=ROUTING_TAGS,
        description="Admins and managers: `team_id`, `skills`, `capacity` (open cases at "
        "most) and `available`. If-Match (or the body's `version`) makes the change apply "
        "only to that version (409).",
        path={"user_id": "user_id"}, path_docs=AGENT_DOCS, body=WHOLE_REQUEST,
        version="expected_version", problems=(409,),
    ),
    Route(
        "POST", f"{AGENT}/availability", _routing("SetAgentAvailability"),
        summary="Set an agent's availability", answer="The agent", tags=ROUTING_TAGS,
        description='Body `{"available": true}`: an agent sets their own, a manager anyone\'s.',
        path={"user_id": "user_id"}, path_docs=AGENT_DOCS, body=WHOLE_REQUEST,
    ),
    Route(
        "GET", "/service/agents", _routing("ListAgents"),
        summary="List agents", answer="The agents with their open cases, by user id",
        tags=ROUTING_TAGS, description="Optionally of one `team_id`.",
    ),
    Route(
        "PUT", f"/service/required-skills/<any({CASE_TYPES}):case_type>",
        _routing("SetRequiredSkill"),
        summary="Set the skill a case type requires", answer="Every case type's skill",
        tags=ROUTING_TAGS, description='Body `{"skill": "repairs"}`; an empty skill: any agent.',
        path={"case_type": "case_type"}, path_docs={"case_type": "the case type"},
        body=WHOLE_REQUEST,
    ),
    Route(
        "GET", "/service/required-skills", _routing("ListRequiredSkills"),
        summary="The skill each case type requires", answer="Every case type's skill",
        tags=ROUTING_TAGS,
    ),
    # service agreements: the SLA policies and working calendars of customers and orders
    Route(
        "POST", "/service/agreements", _agreements("CreateAgreement"),
        summary="Create a service agreement", answer="The new agreement", tags=SLA_TAGS,
        description="Admins and managers: the `customer_id`, an `order_ref` (an after-sales "
        "case of that order falls under it; empty: every case of the customer), "
        f"{AGREEMENT_FIELDS} "
        "It applies to the cases opened from then on; a case without one gets the default "
        "policy.",
        body=WHOLE_REQUEST, status=201, location="get_service_agreement", problems=(409,),
        endpoint="create_service_agreement",
    ),
    Route(
        "GET", "/service/agreements", _agreements("ListAgreements"),
        summary="List service agreements", answer="A page of agreements, oldest first",
        tags=SLA_TAGS, description="Optionally of one `customer_id`.",
        endpoint="list_service_agreements",
    ),
    Route(
        "GET", AGREEMENT, _agreements("GetAgreement"),
        summary="Get a service agreement", answer="The agreement", tags=SLA_TAGS,
        path={"agreement_id": "id"}, path_docs=AGREEMENT_ID, endpoint="get_service_agreement",
    ),
    Route(
        "PUT", AGREEMENT, _agreements("UpdateAgreement"),
        summary="Change a service agreement", answer="The agreement", tags=SLA_TAGS,
        description=f"Admins and managers: {AGREEMENT_FIELDS} New terms apply to the cases "
        "opened from then on. If-Match (or the body's `version`) makes the change apply only "
        "to that version (409).",
        path={"agreement_id": "id"}, path_docs=AGREEMENT_ID, body=WHOLE_REQUEST,
        version="expected_version", problems=(409,), endpoint="update_service_agreement",
    ),
    # the knowledge base: service agents and managers write, everyone reads what is published
    Route(
        "POST", "/service/articles", _knowledge("CreateArticle"),
        summary="Write an article", answer="The new article, a draft", tags=KB_TAGS,
        description="Service agents and managers: `title`, `body`, `category`, `tags`. "
        "Customers see nothing of it until it is published.",
        body=WHOLE_REQUEST, status=201, location="get_article",
    ),
    Route(
        "GET", "/service/articles", _knowledge("ListArticles"),
        summary="List articles", answer="A page of articles with their drafts, oldest first",
        tags=KB_TAGS, description="Optionally of one `category`.",
    ),
    Route(
        "GET", "/service/articles/search", _knowledge("ListMatchingArticles"),
        summary="Search the published articles", answer="The matching articles, best first",
        tags=KB_TAGS, description=SEARCH,
    ),
    Route(
        "GET", ARTICLE, _knowledge("GetArticle"),
        summary="Get an article", answer="The article: its published version and its draft",
        tags=KB_TAGS, path={"article_id": "id"}, path_docs=ARTICLE_ID,
    ),
    Route(
        "PUT", ARTICLE, _knowledge("UpdateArticle"),
        summary="Edit an article", answer="The article with its new draft", tags=KB_TAGS,
        description="`title`, `body`, `category`, `tags`: a new draft; customers go on "
        "reading the published version until it is published. If-Match (or the body's "
        "`version`) makes the change apply only to that version (409).",
        path={"article_id": "id"}, path_docs=ARTICLE_ID, body=WHOLE_REQUEST,
        version="expected_version", problems=(409,),
    ),
    Route(
        "POST", f"{ARTICLE}/publish", _knowledge("PublishArticle"),
        summary="Publish an article's draft", answer="The article, its draft the new version",
        tags=KB_TAGS, description="No draft is a 409. If-Match (or the body's `version`) "
        "makes it apply only to that version (409).",
        path={"article_id": "id"}, path_docs=ARTICLE_ID, body=WHOLE_REQUEST,
        version="expected_version", problems=(409,),
    ),
    Route(
        "GET", "/service/deflection", _knowledge("GetDeflectionRate"),
        summary="The deflection rate", answer="Suggestions made, solved, and their rate",
        tags=KB_TAGS, description="Suggested answers a portal customer marked solved, over "
        "all suggestions made; `since` (RFC 3339) counts only those made from then on.",
    ),
    # the customer's self-service: published articles only; a draft is a 404
    Route(
        "GET", "/portal/articles", _knowledge("ListArticles"),
        summary="List the help articles", answer="A page of published articles", tags=PORTAL,
        description="Optionally of one `category`.", endpoint="list_portal_articles",
    ),
    Route(
        "GET", "/portal/articles/search", _knowledge("ListMatchingArticles"),
        summary="Search the help articles", answer="The matching articles, best first",
        tags=PORTAL, description=SEARCH,
        endpoint="search_portal_articles",
    ),
    Route(
        "GET", OWN_ARTICLE, _knowledge("GetArticle"),
        summary="Read a help article", answer="Its published version", tags=PORTAL,
        path={"article_id": "id"}, path_docs=ARTICLE_ID, endpoint="get_portal_article",
    ),
    Route(
        "POST", f"{OWN_ARTICLE}/feedback", _knowledge("RateArticle"),
        summary="Say whether an article helped", answer="The article with its feedback",
        tags=PORTAL, description='Body `{"helpful": true}`; my latest answer counts.',
        path={"article_id": "id"}, path_docs=ARTICLE_ID, body=WHOLE_REQUEST,
        endpoint="rate_portal_article",
    ),
    Route(
        "POST", "/portal/suggestions", _knowledge("SuggestAnswers"),
        summary="Suggested answers to my question",
        answer="The best matching articles, and the suggestion's id", tags=PORTAL,
        description='Body `{"question": "..."}`, before opening a case: if an article '
        "answers it, mark the suggestion solved instead.",
        body=WHOLE_REQUEST, status=201,
    ),
    Route(
        "POST", "/portal/suggestions/<uuid:suggestion_id>/solved", _knowledge("MarkSolved"),
        summary="This solved it", answer="The suggestion, solved", tags=PORTAL,
        description='Body `{"article_id": "..."}`: the suggested article that answered my '
        "question (once; again is a 409).",
        path={"suggestion_id": "suggestion_id"},
        path_docs={"suggestion_id": "the suggestion's id"}, body=WHOLE_REQUEST,
        body_required=True, problems=(409,),
    ),
    Route(
        "GET", "/service/care-tasks", _care("ListCareTasks"),
        summary="List care tasks", answer="A page of care tasks, newest first",
        tags=SURVEY_TAGS,
        description="The daily care job's tasks (a customer's birthday or anniversary as a "
        "customer) for the caller, the customer's owner; admins and managers read another "
        "owner's with `owner_id`.",
    ),
    # satisfaction: the results, the customer's own survey, and the signed link's
    Route(
        "GET", "/service/surveys/results", _surveys("GetSurveyResults"),
        summary="Satisfaction results", answer="Overall, per agent and per team",
        tags=SURVEY_TAGS,
        description="Admins, managers and analysts: the answered surveys (`since` a moment, "
        "or ever) per agent (the case's owner at its resolution) and team: `answered`, "
        "`satisfied` (4-5), `okay` (3), `dissatisfied` (1-2), `average_score`, `csat` "
        "(satisfied over answered).",
    ),
    Route(
        "GET", f"{OWN_CASE}/survey", _surveys("GetCaseSurvey"),
        summary="My case's satisfaction survey", answer="The survey", tags=PORTAL,
        description="Made when the case is resolved (404 before).",
        path={"case_id": "case_id"}, path_docs=CASE_ID,
    ),
    Route(
        "POST", f"{OWN_CASE}/survey", _surveys("AnswerCaseSurvey"),
        summary="Answer my case's survey", answer="The survey, answered", tags=PORTAL,
        description='Body `{"score": 1-5, "comment": "..."}`; once (again: 409).',
        path={"case_id": "case_id"}, path_docs=CASE_ID, body=WHOLE_REQUEST,
        body_required=True, problems=(409,),
    ),
    Route(
        "GET", f"{SURVEY_LINK}/<token>", _surveys("GetSurveyByToken"),
        summary="A survey by its signed link", answer="The survey", tags=("public",),
        description="No token needed: the link in the survey mail is signed.",
        path={"token": "token"}, path_docs=SURVEY_TOKEN, limit=PUBLIC_SURVEY_LIMIT,
    ),
    Route(
        "POST", f"{SURVEY_LINK}/<token>", _surveys("AnswerSurveyByToken"),
        summary="Answer a survey by its signed link", answer="The survey, answered",
        tags=("public",), description='Body `{"score": 1-5, "comment": "..."}`; once.',
        path={"token": "token"}, path_docs=SURVEY_TOKEN, body=WHOLE_REQUEST,
        body_required=True, problems=(409,), limit=PUBLIC_SURVEY_LIMIT,
    ),
    # the customer's own cases: another customer's case is a 404
    Route(
        "POST", "/portal/cases", _cases("OpenCase"),
        summary="Open a case", answer="My new case", tags=PORTAL,
        body=WHOLE_REQUEST, writable=OPEN_FIELDS, status=201, location="get_own_case",
        endpoint="open_own_case",
    ),
    Route(
        "GET", "/portal/cases", _cases("ListCases"),
        summary="List my cases", answer="A page of my cases, newest first", tags=PORTAL,
        endpoint="list_own_cases",
    ),
    Route(
        "GET", OWN_CASE, _cases("GetCase"),
        summary="Get my case", answer="The case with the replies", tags=PORTAL,
        path={"case_id": "id"}, path_docs=CASE_ID, endpoint="get_own_case",
    ),
    _step(
        "AddCaseMessage", f"{OWN_CASE}/messages", "Reply on my case", tags=PORTAL,
        endpoint="reply_on_own_case", body_required=True,
        description='Body `{"body": "..."}`: a case waiting on me goes back to the agent.',
    ),
    _step(
        "ReopenCase", f"{OWN_CASE}/reopen", "Reopen my case", tags=PORTAL,
        endpoint="reopen_own_case", body_required=True,
        description='Body `{"reason": "..."}`; within the reopen window after its resolution.',
    ),
)  # fmt: skip
