"""The /api/v1 routes of the marketing service (rows that gateway.py serves, like routes.py's):
the catalog and its prices, and the lead capture forms with their public submission."""

from __future__ import annotations

from typing import Any

from crm_proto.crm.marketing.v1 import (
    campaigns_pb2,
    catalog_pb2,
    contacts_pb2,
    forms_pb2,
    pricing_pb2,
)
from google.protobuf.descriptor import ServiceDescriptor

from crm_portal.entrypoints.http.gateway import WHOLE_REQUEST, Route, RouteLimit

CATALOG = catalog_pb2.DESCRIPTOR.services_by_name["CatalogService"]
PRICING = pricing_pb2.DESCRIPTOR.services_by_name["PricingService"]
FORMS = forms_pb2.DESCRIPTOR.services_by_name["FormService"]
CONTACTS = contacts_pb2.DESCRIPTOR.services_by_name["ContactService"]
CAMPAIGNS = campaigns_pb2.DESCRIPTOR.services_by_name["CampaignService"]
TRACKING = campaigns_pb2.DESCRIPTOR.services_by_name["TrackingService"]

PRODUCT = "/marketing/products/<uuid:product_id>"
PRODUCT_ID = {"product_id": "the product's id"}
PRICE_LIST = "/marketing/price-lists/<uuid:price_list_id>"
PRICE_LIST_ID = {"price_list_id": "the price list's id"}
FORM = "/marketing/forms/<uuid:form_id>"
FORM_ID = {"form_id": "the form's id"}
CAMPAIGN = "/marketing/campaigns/<uuid:campaign_id>"
CAMPAIGN_ID = {"campaign_id": "the campaign's id"}
CATALOG_TAGS, FORM_TAGS, CAMPAIGN_TAGS = ("catalog",), ("forms",), ("campaigns",)
CHANGE = "If-Match (or the body's `version`) makes the change apply only to that version (409)."
# submissions per client address: people fill a form in now and then, robots by the hundred
PUBLIC_FORM_LIMIT = RouteLimit("CRM_PORTAL_PUBLIC_FORM_LIMIT", "30/minute;300/hour")


def _row(
    service: ServiceDescriptor, method: str, rule: str, rpc: str, summary: str, answer: str,
    tags: tuple[str, ...], **fields: Any,
) -> Route:  # fmt: skip
    return Route(
        method, rule, service.methods_by_name[rpc], summary=summary, answer=answer, tags=tags,
        **fields,
    )  # fmt: skip


CATALOG_ROUTES = (
    _row(
        CATALOG, "POST", "/marketing/products", "CreateProduct", "Create a product",
        "The new product", CATALOG_TAGS,
        description="Body `{\"code\": \"POSTER-A1\", \"product\": {\"name\", \"unit\", "
        "\"list_price\": {\"currency_code\", \"amount\"}, \"active\"}}`. A taken code is a 409.",
        body=WHOLE_REQUEST, status=201, location="get_product", problems=(409,),
    ),
    _row(
        CATALOG, "GET", "/marketing/products", "ListProducts", "List products",
        "A page of products, by code", CATALOG_TAGS, description="Filter: `active_only`.",
    ),
    _row(
        CATALOG, "GET", PRODUCT, "GetProduct", "Get a product", "The product", CATALOG_TAGS,
        path={"product_id": "id"}, path_docs=PRODUCT_ID,
    ),
    _row(
        CATALOG, "PUT", PRODUCT, "UpdateProduct", "Replace a product's name, unit, price, state",
        "The product", CATALOG_TAGS, description=f"Body `{{\"product\": {{...}}}}`. {CHANGE}",
        path={"product_id": "id"}, path_docs=PRODUCT_ID, body=WHOLE_REQUEST,
        version="expected_version", problems=(409,),
    ),
    _row(
        CATALOG, "POST", "/marketing/price-lists", "CreatePriceList", "Create a price list",
        "The new price list, its rules with their ids", CATALOG_TAGS,
        description="Body `{\"currency\": \"CNY\", \"price_list\": {\"name\", \"based_on_id\", "
        "\"valid_from\", \"valid_until\", \"active\", \"rules\": [{\"description\", \"kind\" "
        "(fixed_price, percent_off), \"fixed_price\" or \"percent_off\", and the conditions "
        "\"product_code\", \"min_quantity\", \"valid_from\", \"valid_until\", "
        "\"customer_tier\", \"campaign_id\"}]}}`.",
        body=WHOLE_REQUEST, status=201, location="get_price_list",
    ),
    _row(
        CATALOG, "GET", "/marketing/price-lists", "ListPriceLists", "List price lists",
        "A page of price lists, newest first", CATALOG_TAGS, description="Filter: `currency`.",
    ),
    _row(
        CATALOG, "GET", PRICE_LIST, "GetPriceList", "Get a price list", "The price list",
        CATALOG_TAGS, path={"price_list_id": "id"}, path_docs=PRICE_LIST_ID,
    ),
    _row(
        CATALOG, "PUT", PRICE_LIST, "UpdatePriceList", "Replace a price list's rules and terms",
        "The price list", CATALOG_TAGS,
        description=f"Body `{{\"price_list\": {{...}}}}`; a rule sent with its `id` keeps it. "
        f"{CHANGE}",
        path={"price_list_id": "id"}, path_docs=PRICE_LIST_ID, body=WHOLE_REQUEST,
        version="expected_version", problems=(409,),
    ),
    _row(
        CATALOG, "PUT", "/marketing/customer-tiers/<uuid:customer_id>", "SetCustomerTier",
        "Set the tier a customer's prices are for", "The customer's tier", CATALOG_TAGS,
        description="Body `{\"tier\": \"gold\"}`; an empty tier clears it.",
        path={"customer_id": "customer_id"}, path_docs={"customer_id": "the customer's id"},
        body=WHOLE_REQUEST,
    ),
    _row(
        PRICING, "POST", "/marketing/prices", "PriceLines", "Price lines for a customer",
        "One price per line, in order, with the rule that made it", CATALOG_TAGS,
        description="Body `{\"customer_id\", \"currency\", \"campaign_id\", \"at\", "
        "\"lines\": [{\"product_code\", \"quantity\"}]}`. A product without a price is a 404 "
        "naming it, a currency without a price list in force a 409.",
        body=WHOLE_REQUEST, problems=(409,),
    ),
)  # fmt: skip

FORM_ROUTES = (
    _row(
        FORMS, "POST", "/marketing/forms", "CreateForm", "Define a lead capture form",
        "The new form", FORM_TAGS,
        description="Body `{\"form\": {\"name\", \"campaign_id\", \"required_fields\" (name, "
        "company, email, phone, region, city, company_size; email or phone among them), "
        "\"active\"}}`.",
        body=WHOLE_REQUEST, status=201, location="get_form",
    ),
    _row(
        FORMS, "GET", "/marketing/forms", "ListForms", "List lead capture forms",
        "A page of forms, newest first", FORM_TAGS,
    ),
    _row(
        FORMS, "GET", FORM, "GetForm", "Get a lead capture form", "The form", FORM_TAGS,
        path={"form_id": "id"}, path_docs=FORM_ID,
    ),
    _row(
        FORMS, "PUT", FORM, "UpdateForm", "Replace a form's definition", "The form", FORM_TAGS,
        description=f"Body `{{\"form\": {{...}}}}`. {CHANGE}",
        path={"form_id": "id"}, path_docs=FORM_ID, body=WHOLE_REQUEST,
        version="expected_version", problems=(409,),
    ),
    _row(
        FORMS, "GET", f"{FORM}/submissions", "ListSubmissions", "List a form's submissions",
        "A page of the leads captured, newest first", FORM_TAGS,
        path={"form_id": "form_id"}, path_docs=FORM_ID,
    ),
    _row(
        FORMS, "POST", "/public/forms/<uuid:form_id>", "SubmitForm", "Submit a lead capture form",
        "The lead's id", ("public",),
        description="No token. The answers (name, company, email, phone, region, city, "
        "company_size, the consents, utm_source, utm_medium, utm_campaign) become a lead in "
        "sales. Limited per client address (429); leave `website` empty.",
        path={"form_id": "form_id"}, path_docs=FORM_ID, body=WHOLE_REQUEST, status=201,
        limit=PUBLIC_FORM_LIMIT, problems=(409, 429),
    ),
)  # fmt: skip

CONTACT_ROUTES = (
    _row(
        CONTACTS, "GET", "/marketing/contacts/<uuid:customer_id>", "GetContact",
        "What marketing knows of a customer's contact and consent",
        "The contact, its consents and the channels a campaign may reach it on", ("contacts",),
        description="Kept from the customer service's events, a moment behind them.",
        path={"customer_id": "customer_id"}, path_docs={"customer_id": "the customer's id"},
    ),
)  # fmt: skip


def _step(rpc: str, summary: str, description: str) -> Route:
    return _row(
        CAMPAIGNS, "POST", f"{CAMPAIGN}/{rpc.removesuffix('Campaign').lower()}", rpc, summary,
        "The campaign", CAMPAIGN_TAGS,
        description=f"{description} A step its state does not allow is a 409. {CHANGE}",
        path={"campaign_id": "id"}, path_docs=CAMPAIGN_ID, body=WHOLE_REQUEST,
        body_required=False, version="expected_version", problems=(409,),
    )  # fmt: skip


CAMPAIGN_ROUTES = (
    _row(
        CAMPAIGNS, "POST", "/marketing/campaigns", "CreateCampaign", "Plan a campaign",
        "The new campaign, a draft", CAMPAIGN_TAGS,
        description="Body `{\"campaign\": {\"name\", \"channel\" (email, sms, letter, "
        "call_list, event), \"budget\", \"planned_cost\", \"actual_cost\" "
        "({\"currency_code\", \"amount\"}), \"starts_at\", \"ends_at\", \"owner_id\", "
        "\"segment_id\" or \"customer_ids\", \"template\": {\"subject\", \"html_body\", "
        "\"text_body\"} (Jinja2: `{{ name }}`, `{{ unsubscribe_url }}`), \"informational\", "
        "\"track_opens\"}}`. A template that does not render is a 422 naming its field.",
        body=WHOLE_REQUEST, status=201, location="get_campaign",
    ),
    _row(
        CAMPAIGNS, "GET", "/marketing/campaigns", "ListCampaigns", "List campaigns",
        "A page of campaigns, newest first", CAMPAIGN_TAGS,
    ),
    _row(
        CAMPAIGNS, "GET", CAMPAIGN, "GetCampaign", "Get a campaign",
        "The campaign, with its recipients counted by status", CAMPAIGN_TAGS,
        path={"campaign_id": "id"}, path_docs=CAMPAIGN_ID,
    ),
    _row(
        CAMPAIGNS, "PUT", CAMPAIGN, "UpdateCampaign", "Replace a draft or scheduled campaign",
        "The campaign", CAMPAIGN_TAGS, description=f"Body `{{\"campaign\": {{...}}}}`. {CHANGE}",
        path={"campaign_id": "id"}, path_docs=CAMPAIGN_ID, body=WHOLE_REQUEST,
        version="expected_version", problems=(409,),
    ),
    _step("ScheduleCampaign", "Schedule a draft campaign", "It needs an audience (and, for "
          "e-mail, a subject and a body)."),
    _step("LaunchCampaign", "Launch a scheduled campaign", "The audience is read; for e-mail, "
          "every member is queued or skipped with why, and the sender mails the queued."),
    _step("CompleteCampaign", "Complete a running campaign", "For the channels not sent by "
          "marketing; e-mail completes by itself."),
    _step("CancelCampaign", "Cancel a campaign", "Nothing more is sent."),
    _row(
        CAMPAIGNS, "GET", f"{CAMPAIGN}/preview", "GetMessagePreview",
        "A campaign's message as one customer would get it", "The subject and bodies",
        CAMPAIGN_TAGS, description="Query: `customer_id` (known to marketing's contact copy).",
        path={"campaign_id": "id"}, path_docs=CAMPAIGN_ID,
    ),
    _row(
        CAMPAIGNS, "GET", f"{CAMPAIGN}/recipients", "ListRecipients",
        "List a campaign's recipients",
        "A page of recipients with their status, by customer id", CAMPAIGN_TAGS,
        path={"campaign_id": "campaign_id"}, path_docs=CAMPAIGN_ID,
    ),
)  # fmt: skip

MAIL = "/public/mail"
TOKEN = {"token": "the signed token of the message's link"}
MAIL_TAGS = ("public",)
# a message's links are opened by mail clients and people, a few times each
PUBLIC_MAIL_LIMIT = RouteLimit("CRM_PORTAL_PUBLIC_MAIL_LIMIT", "120/minute;2000/hour")
PAGE = ("html", "text/html")

TRACKING_ROUTES = (
    _row(
        TRACKING, "GET", f"{MAIL}/open/<token>", "GetTrackingPixel", "A message's open pixel",
        "A 1x1 GIF", MAIL_TAGS, description="No token needed: the link is signed.",
        path={"token": "token"}, path_docs=TOKEN, text=("image", "image/gif"),
        cache_control="no-store", limit=PUBLIC_MAIL_LIMIT,
    ),
    _row(
        TRACKING, "GET", f"{MAIL}/click/<token>", "GetLinkTarget", "A message's tracked link",
        "A redirect to the link, one of the campaign template's own", MAIL_TAGS,
        path={"token": "token"}, path_docs=TOKEN, redirect="url", status=302,
        cache_control="no-store", limit=PUBLIC_MAIL_LIMIT,
    ),
    _row(
        TRACKING, "GET", f"{MAIL}/unsubscribe/<token>", "GetUnsubscribePage",
        "The unsubscribe page", "A page asking to confirm", MAIL_TAGS,
        description="Changes nothing: link scanners follow links.",
        path={"token": "token"}, path_docs=TOKEN, text=PAGE, cache_control="no-store",
        limit=PUBLIC_MAIL_LIMIT,
    ),
    _row(
        TRACKING, "POST", f"{MAIL}/unsubscribe/<token>", "Unsubscribe", "Unsubscribe",
        "A page saying it is done", MAIL_TAGS,
        description="The page's button, and the RFC 8058 one-click POST "
        "(`List-Unsubscribe=One-Click`): the customer's e-mail consent is withdrawn.",
        path={"token": "token"}, path_docs=TOKEN, text=PAGE, cache_control="no-store",
        limit=PUBLIC_MAIL_LIMIT,
    ),
)  # fmt: skip

MARKETING_ROUTES = (
    *CATALOG_ROUTES, *FORM_ROUTES, *CONTACT_ROUTES, *CAMPAIGN_ROUTES, *TRACKING_ROUTES,
)  # fmt: skip
