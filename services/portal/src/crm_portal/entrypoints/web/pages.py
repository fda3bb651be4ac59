"""What the portal's and the console's views share: declaring a page, rendering it, reading a
form, and the workflow steps each side may take on an order."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Blueprint, render_template, request
from markupsafe import Markup

from crm_portal.entrypoints.http.operations import PUBLIC, Answer, operation
from crm_portal.entrypoints.web import session
from crm_portal.entrypoints.web.client import FieldProblem

F = TypeVar("F", bound=Callable[..., Any])

HTML_PAGE = {200: Answer("An HTML page", media_type="text/html")}


def page(blueprint: Blueprint, method: str, rule: str, summary: str) -> Callable[[F], F]:
    """Declare a page view. Pages are public to the gateway's own check: each one calls the
    API with the user's token, and the API's routes decide what that user may see and do."""
    return operation(
        blueprint, method, rule, summary=summary, allow=PUBLIC, responses=HTML_PAGE,
        query=None, documented=False,
    )  # fmt: skip


def render(template: str, code: int = 200, /, **values: Any) -> tuple[str, int]:
    """The page and its HTTP status."""
    return render_template(template, **values), code


def is_htmx() -> bool:
    """A request htmx made for a fragment of the page (the full page otherwise)."""
    return request.headers.get("HX-Request") == "true"


def text(name: str) -> str:
    return (request.form.get(name) or "").strip()


def version() -> int | None:
    """The version of the record the form was shown with: the change applies only to it."""
    value = text("version")
    return int(value) if value.isdigit() and int(value) > 0 else None


def with_version(body: dict[str, Any]) -> dict[str, Any]:
    seen = version()
    return {**body, "version": seen} if seen is not None else body


def safe_next(target: str | None, default: str) -> str:
    """A redirect target after login: a path on this site only (no //host, no scheme)."""
    if not target:
        return default
    parts = urlsplit(target)
    # browsers read a backslash as a slash: "/\\host" would leave the site
    if parts.scheme or parts.netloc or not target.startswith("/") or target[1:2] in ("/", "\\"):
        return default
    return target


def field_errors(errors: Iterable[FieldProblem]) -> dict[str, str]:
    """The problems a route named, by the form field's name (the body's JSON path's last
    part: `amount.amount` is the form's `amount`)."""
    found: dict[str, str] = {}
    for error in errors:
        name = error.field.split(".")[0] if error.field else ""
        found.setdefault(name, error.message)
    return found


# -- the order workflow ------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """A workflow step as a button: the route (under the order's path) and the form's fields
    that go into its body."""

    name: str  # the order's allowed_steps value
    label: str
    path: str
    fields: tuple[str, ...] = ()
    primary: bool = False


CUSTOMER_STEPS = {
    step.name: step
    for step in (
        Step("approve_proposal", "Approve the proposal", "approve-proposal", primary=True),
        Step("request_revision", "Ask for a revision", "request-revision", ("note",)),
        Step("sign_contract", "Sign the contract", "sign", primary=True),
        Step("cancel", "Cancel the order", "cancel", ("reason",)),
    )
}
STAFF_STEPS = {
    step.name: step
    for step in (
        Step("confirm", "Confirm", "confirm", primary=True),
        Step("send_proposal", "Send the proposal", "proposal", ("proposal",), primary=True),
        Step("price", "Set the price", "price", ("amount", "currency"), primary=True),
        Step("sign_contract", "Sign for the company", "sign", primary=True),
        Step("start_production", "Start production", "start-production", primary=True),
        Step("deliver", "Mark delivered", "deliver", primary=True),
        Step("start_after_sales", "Start after-sales", "after-sales"),
        Step("close", "Close the order", "close"),
        Step("cancel", "Cancel the order", "cancel", ("reason",)),
    )
}


def allowed(order: Mapping[str, Any], steps: Mapping[str, Step]) -> list[Step]:
    """The steps of `steps` the order allows now, in the order's own order."""
    return [steps[name] for name in order.get("allowed_steps") or [] if name in steps]


def step_body(step: Step, form: Mapping[str, str]) -> dict[str, Any]:
    """The JSON body of a step from its form: a price is Money, the rest plain text."""
    body: dict[str, Any] = {}
    for name in step.fields:
        value = (form.get(name) or "").strip()
        if name == "currency":
            continue
        if name == "amount":
            currency = (form.get("currency") or "CNY").strip().upper()
            body["amount"] = {"currency_code": currency, "amount": value}
        else:
            body[name] = value
    return body


# -- filters ----------------------------------------------------------------------------------


def money(value: Mapping[str, Any] | None) -> str:
    """{"currency_code": "CNY", "amount": "12000.00"} -> "CNY 12,000.00"."""
    if not value:
        return "—"
    try:
        amount = f"{Decimal(str(value.get('amount') or '0')):,.2f}"
    except InvalidOperation:
        amount = str(value.get("amount"))
    return f"{value.get('currency_code', '')} {amount}".strip()


def when(value: str | None) -> str:
    """An RFC 3339 time as "2026-12-04 02:13 UTC"."""
    if not value:
        return "—"
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def label(value: str | None) -> str:
    """An API enum value as words: "proposal_sent" -> "Proposal sent"."""
    if not value:
        return "—"
    words = value.replace("_", " ")
    return words[:1].upper() + words[1:]


def csrf_field() -> Markup:
    return Markup('<input type="hidden" name="{}" value="{}">').format(
        session.CSRF_FIELD, session.csrf_token()
    )
