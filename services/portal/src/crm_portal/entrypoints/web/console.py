"""The staff console's pages, at /console/: customers (search, the 360 view, a file import and
the company-wide duplicates), orders and their workflow steps, leads, the pipeline board and
the case queue. Each view calls the staff routes of /api/v1 with the signed-in user's token,
so their role decides what they see."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from crm_platform import enums
from crm_proto.crm.customer.v1 import customer_pb2
from crm_proto.crm.sales.v1 import leads_pb2, opportunities_pb2
from crm_proto.crm.service.v1 import cases_pb2
from flask import Blueprint, redirect, request, url_for
from werkzeug.wrappers import Response

from crm_portal.entrypoints.web import client, pages
from crm_portal.entrypoints.web.client import GatewayError
from crm_portal.entrypoints.web.pages import page, render, text
from crm_portal.entrypoints.web.portal import login_page

console = Blueprint("console", __name__, url_prefix="/console")

# the contracts' enums, as the API writes them
CLOSED_STAGES = ("closed_won", "closed_lost")  # reached by winning or losing, not by a move
OPEN_STAGES = tuple(
    stage
    for stage in enums.keys(opportunities_pb2.OpportunityStage.DESCRIPTOR)
    if stage not in CLOSED_STAGES
)
SOURCES = tuple(enums.keys(customer_pb2.AcquisitionSource.DESCRIPTOR))
LEAD_STATUSES = tuple(enums.keys(leads_pb2.LeadStatus.DESCRIPTOR))
CASE_STATUSES = tuple(enums.keys(cases_pb2.CaseStatus.DESCRIPTOR))
CONSENTS = tuple(enums.keys(customer_pb2.ConsentChannel.DESCRIPTOR))
CUSTOMER_FILTERS = ("q", "region", "tag", "source")
CONSENT_CHANNELS = ", ".join(repr(channel) for channel in CONSENTS)
STAFF_ACTIONS = f"any({', '.join(repr(s.path) for s in pages.STAFF_STEPS.values())})"


def _optional(path: str, **query: str) -> Any:
    """A part of a page that may be missing (no loyalty account yet) or not for this role
    (a rep does not see analytics): None instead of the whole page failing."""
    try:
        return client.get(path, **query)
    except GatewayError as missing:
        if missing.status in (403, 404, 503):
            return None
        raise


@page(console, "GET", "/", "Console home")
def home() -> Response:
    return redirect(url_for(".customers"))


@page(console, "GET", "/login", "Staff login form")
def login_form() -> Any:
    return login_page("console/login.html", url_for(".customers"))


@page(console, "POST", "/login", "Staff log in")
def login() -> Any:
    return login_page("console/login.html", url_for(".customers"))


@page(console, "POST", "/logout", "Staff log out")
def logout() -> Response:
    client.sign_out()
    return redirect(url_for(".login_form"), 303)


# -- customers --------------------------------------------------------------------------------


@page(console, "GET", "/customers", "Customers")
def customers() -> Any:
    filters = {name: request.args.get(name, "").strip() for name in CUSTOMER_FILTERS}
    if filters["source"] not in SOURCES:
        filters["source"] = ""
    token = request.args.get("page_token", "")
    listed = client.get("/customers", **filters, page_token=token, page_size="25")
    template = "console/_customer_rows.html" if pages.is_htmx() else "console/customers.html"
    return render(template, customers=listed, filters=filters, sources=SOURCES)


@page(console, "GET", "/customers/<uuid:customer_id>", "Customer 360")
def customer(customer_id: UUID) -> Any:
    found = client.get(f"/customers/{customer_id}")
    return render(
        "console/customer.html",
        customer=found,
        timeline=_optional(f"/customers/{customer_id}/timeline"),
        orders=_optional("/sales/orders", customer_id=str(customer_id)),
        loyalty=_optional(f"/customers/{customer_id}/loyalty"),
        value=_optional(f"/analytics/customers/{customer_id}/value"),
        channels=CONSENTS,
    )


@page(
    console, "POST",
    f"/customers/<uuid:customer_id>/consents/<any({CONSENT_CHANNELS}):channel>",
    "Record a consent",
)  # fmt: skip
def set_consent(customer_id: UUID, channel: str) -> Any:
    granted = text("granted") == "true"
    client.call("PUT", f"/customers/{customer_id}/consents/{channel}", json={"granted": granted})
    return redirect(url_for(".customer", customer_id=customer_id), 303)


# -- orders -----------------------------------------------------------------------------------


def _order_page(order: dict[str, Any], status: int = 200, error: str | None = None) -> Any:
    return render(
        "console/order.html",
        status,
        order=order,
        steps=pages.allowed(order, pages.STAFF_STEPS),
        error=error,
    )


@page(console, "GET", "/orders/<uuid:order_id>", "Order")
def order(order_id: UUID) -> Any:
    return _order_page(client.get(f"/sales/orders/{order_id}"))


def _take(order_id: UUID, path: str, body: dict[str, Any]) -> Any:
    try:
        client.post(f"/sales/orders/{order_id}/{path}", pages.with_version(body))
    except GatewayError as refused:
        if refused.status not in (409, 422):
            raise
        current = client.get(f"/sales/orders/{order_id}")
        detail = "; ".join(f"{e.field}: {e.message}" for e in refused.errors) or refused.detail
        return _order_page(current, refused.status, detail)
    return redirect(url_for(".order", order_id=order_id), 303)


@page(console, "POST", f"/orders/<uuid:order_id>/<{STAFF_ACTIONS}:action>", "Order step")
def order_step(order_id: UUID, action: str) -> Any:
    step = next(s for s in pages.STAFF_STEPS.values() if s.path == action)
    return _take(order_id, action, pages.step_body(step, request.form))


@page(console, "POST", "/orders/<uuid:order_id>/milestones/<int:number>/pay", "Record a payment")
def pay_milestone(order_id: UUID, number: int) -> Any:
    return _take(order_id, f"milestones/{number}/pay", {"reference": text("reference")})


# -- leads, pipeline, cases -------------------------------------------------------------------


@page(console, "GET", "/leads", "Leads")
def leads() -> Any:
    status = request.args.get("status", "")
    listed = client.get(
        "/sales/leads", status=status if status in LEAD_STATUSES else "",
        page_token=request.args.get("page_token", ""),
    )  # fmt: skip
    return render("console/leads.html", leads=listed, status=status, statuses=LEAD_STATUSES)


def _board(status: int = 200, error: str | None = None) -> Any:
    board = client.get("/sales/pipeline/board")
    template = "console/_board.html" if pages.is_htmx() else "console/pipeline.html"
    return render(template, status, board=board, stages=OPEN_STAGES, error=error)


@page(console, "GET", "/pipeline", "Pipeline board")
def pipeline() -> Any:
    return _board()


@page(console, "POST", "/opportunities/<uuid:opportunity_id>/stage", "Move a deal")
def move_opportunity(opportunity_id: UUID) -> Any:
    stage = text("stage")
    try:
        client.post(f"/sales/opportunities/{opportunity_id}/stage", {"stage": stage})
    except GatewayError as refused:
        if refused.status not in (409, 422):
            raise
        # htmx swaps only a 2xx answer: the board then shows the refusal in place
        return _board(200 if pages.is_htmx() else refused.status, refused.detail)
    if pages.is_htmx():
        return _board()
    return redirect(url_for(".pipeline"), 303)


@page(console, "GET", "/cases", "Case queue")
def cases() -> Any:
    status = request.args.get("status", "")
    unassigned = request.args.get("unassigned") == "1"
    listed = client.get(
        "/service/cases", status=status if status in CASE_STATUSES else "",
        unassigned="true" if unassigned else "", page_token=request.args.get("page_token", ""),
    )  # fmt: skip
    return render(
        "console/cases.html", cases=listed, status=status, statuses=CASE_STATUSES,
        unassigned=unassigned,
    )  # fmt: skip


# -- imports and duplicates -------------------------------------------------------------------

CSV = "text/csv"


@page(console, "GET", "/imports", "Import customers")
def imports() -> Any:
    return render("console/imports.html")


@page(console, "POST", "/imports", "Upload a customer file")
def upload_import() -> Any:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return render("console/imports.html", 422, error="Choose a CSV file.")
    try:
        started = client.call(
            "POST", "/customers/imports", query={"file_name": upload.filename},
            upload=(upload.read(), CSV),
        )  # fmt: skip
    except GatewayError as refused:
        if refused.status not in (400, 415, 422):
            raise
        detail = "; ".join(e.message for e in refused.errors) or refused.detail
        return render("console/imports.html", refused.status, error=detail)
    return redirect(url_for(".import_progress", import_id=started["id"]), 303)


@page(console, "GET", "/imports/<uuid:import_id>", "An import's progress")
def import_progress(import_id: UUID) -> Any:
    job = client.get(f"/customers/imports/{import_id}")
    template = "console/_import_progress.html" if pages.is_htmx() else "console/import.html"
    return render(template, job=job)


@page(console, "GET", "/imports/<uuid:import_id>/rejected.csv", "An import's rejected rows")
def import_rejections(import_id: UUID) -> Response:
    text = client.download(f"/customers/imports/{import_id}/rejected")
    return Response(
        text,
        mimetype=CSV,
        headers={"Content-Disposition": f'attachment; filename="rejected-{import_id}.csv"'},
    )


@page(console, "GET", "/duplicates", "Possible duplicates")
def duplicates() -> Any:
    listed = client.get("/customers/duplicates", page_token=request.args.get("page_token", ""))
    return render("console/duplicates.html", pairs=listed)


@page(console, "POST", "/duplicates/merge", "Merge a pair of duplicates")
def merge_duplicates() -> Any:
    survivor, merged = text("survivor_id"), text("merged_id")
    try:
        survivor_id, merged_id = UUID(survivor), UUID(merged)
    except ValueError:
        return redirect(url_for(".duplicates"), 303)
    client.call(
        "POST", f"/customers/{survivor_id}/merge", json={"merged_id": str(merged_id)},
        idempotency_key=f"merge-{survivor_id}-{merged_id}",
    )  # fmt: skip
    return redirect(url_for(".customer", customer_id=survivor_id), 303)
