"""The /api/v1 routes of the marketing service (rows that gateway.py serves, like routes.py's):
the catalog and its prices, and the lead capture forms with their public submission."""

from __future__ import annotations

from typing import Any

from crm_proto.crm.marketing.v1 import catalog_pb2, contacts_pb2, forms_pb2, pricing_pb2
from google.protobuf.descriptor import ServiceDescriptor

from crm_portal.entrypoints.http.gateway import WHOLE_REQUEST, Route, RouteLimit

CATALOG = catalog_pb2.DESCRIPTOR.services_by_name["CatalogService"]
PRICING = pricing_pb2.DESCRIPTOR.services_by_name["PricingService"]
FORMS = forms_pb2.DESCRIPTOR.services_by_name["FormService"]
CONTACTS = contacts_pb2.DESCRIPTOR.services_by_name["ContactService"]

PRODUCT = "/marketing/products/<uuid:product_id>"
PRODUCT_ID = {"product_id": "the product's id"}
PRICE_LIST = "/marketing/price-lists/<uuid:price_list_id>"
PRICE_LIST_ID = {"price_list_id": "the price list's id"}
FORM = "/marketing/forms/<uuid:form_id>"
FORM_ID = {"form_id": "the form's id"}
CATALOG_TAGS, FORM_TAGS = ("catalog",), ("forms",)
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

MARKETING_ROUTES = (*CATALOG_ROUTES, *FORM_ROUTES, *CONTACT_ROUTES)
