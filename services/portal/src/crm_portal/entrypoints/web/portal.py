"""The customer portal's pages, at /: the public home page, registration and login, the
customer's profile, orders and loyalty points. Each view reads and changes through the
customer's own /api/v1/portal routes."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

from flask import Blueprint, redirect, request, url_for
from werkzeug.wrappers import Response

from crm_portal.entrypoints.web import client, pages
from crm_portal.entrypoints.web.client import GatewayError
from crm_portal.entrypoints.web.pages import page, render, text

portal = Blueprint("portal", __name__)

PROFILE_FIELDS = ("name", "phone", "region", "city")
ACTIONS = "any('approve-proposal', 'request-revision', 'sign', 'cancel')"


@page(portal, "GET", "/", "Home page")
def home() -> Any:
    return render("portal/home.html")


# -- registration and login -------------------------------------------------------------------


@page(portal, "GET", "/register", "Registration form")
def register_form() -> Any:
    return render("portal/register.html", values={}, errors={})


@page(portal, "POST", "/register", "Register")
def register() -> Any:
    values = {name: text(name) for name in ("email", "name", "phone", "city")}
    password = request.form.get("password") or ""
    body: dict[str, Any] = {k: v for k, v in values.items() if v}
    body["password"] = password
    try:
        client.call("POST", "/portal/register", json=body, public=True)
    except GatewayError as refused:
        errors = pages.field_errors(refused.errors) or {"": refused.detail}
        if refused.status == 409:
            errors = {"email": "this email or phone is registered already: log in instead"}
        return render("portal/register.html", refused.status, values=values, errors=errors)
    client.sign_in(values["email"], password)
    return redirect(url_for(".orders"), 303)


def login_page(template: str, landing: str) -> Any:
    if request.method == "GET":
        return render(template, email="", error=None, next=request.args.get("next", ""))
    email = text("email")
    target = pages.safe_next(request.form.get("next"), landing)
    try:
        client.sign_in(email, request.form.get("password") or "")
    except GatewayError as refused:
        error = "Wrong email or password."
        if refused.status == 429:
            error = "Too many attempts: wait a minute and try again."
        status = 429 if refused.status == 429 else 401
        return render(template, status, email=email, error=error, next=target)
    return redirect(target, 303)


@page(portal, "GET", "/login", "Login form")
def login_form() -> Any:
    return login_page("portal/login.html", url_for(".orders"))


@page(portal, "POST", "/login", "Log in")
def login() -> Any:
    return login_page("portal/login.html", url_for(".orders"))


@page(portal, "POST", "/logout", "Log out")
def logout() -> Response:
    client.sign_out()
    return redirect(url_for(".home"), 303)


# -- profile ----------------------------------------------------------------------------------


@page(portal, "GET", "/account", "My profile")
def account() -> Any:
    return render("portal/account.html", me=client.get("/portal/me"), errors={}, saved=False)


@page(portal, "POST", "/account", "Change my profile")
def change_account() -> Any:
    changes: dict[str, Any] = {name: text(name) or None for name in PROFILE_FIELDS}
    changes["name"] = text("name")  # required: a blank one is refused, not cleared
    try:
        me = client.call("PATCH", "/portal/me", json=pages.with_version(changes))
    except GatewayError as refused:
        if refused.status not in (409, 422):
            raise
        errors = pages.field_errors(refused.errors) or {"": refused.detail}
        me = {**client.get("/portal/me"), **changes}
        return render("portal/account.html", refused.status, me=me, errors=errors, saved=False)
    return render("portal/account.html", me=me, errors={}, saved=True)


# -- orders -----------------------------------------------------------------------------------


@page(portal, "GET", "/orders", "My orders")
def orders() -> Any:
    listed = client.get("/portal/orders", page_token=request.args.get("page_token", ""))
    return render("portal/orders.html", orders=listed, values={}, errors={}, key=uuid4())


@page(portal, "POST", "/orders", "Place an order")
def place_order() -> Any:
    values = {"title": text("title"), "description": text("description")}
    body = {k: v for k, v in values.items() if v}
    key = text("idempotency_key")
    try:
        placed = client.call("POST", "/portal/orders", json=body, idempotency_key=key or None)
    except GatewayError as refused:
        if refused.status not in (409, 422):
            raise
        errors = pages.field_errors(refused.errors) or {"": refused.detail}
        listed = client.get("/portal/orders")
        return render(
            "portal/orders.html", refused.status, orders=listed, values=values, errors=errors,
            key=uuid4(),
        )  # fmt: skip
    return redirect(url_for(".order", order_id=placed["id"]), 303)


def _order_page(order: dict[str, Any], status: int = 200, error: str | None = None) -> Any:
    return render(
        "portal/order.html",
        status,
        order=order,
        steps=pages.allowed(order, pages.CUSTOMER_STEPS),
        error=error,
    )


@page(portal, "GET", "/orders/<uuid:order_id>", "My order")
def order(order_id: UUID) -> Any:
    return _order_page(client.get(f"/portal/orders/{order_id}"))


@page(portal, "POST", f"/orders/<uuid:order_id>/<{ACTIONS}:action>", "Take a step on my order")
def order_step(order_id: UUID, action: str) -> Any:
    step = next(s for s in pages.CUSTOMER_STEPS.values() if s.path == action)
    body = pages.with_version(pages.step_body(step, request.form))
    try:
        client.post(f"/portal/orders/{order_id}/{action}", body)
    except GatewayError as refused:
        if refused.status not in (409, 422):
            raise
        current = client.get(f"/portal/orders/{order_id}")
        detail = "; ".join(f"{e.field}: {e.message}" for e in refused.errors) or refused.detail
        return _order_page(current, refused.status, detail)
    return redirect(url_for(".order", order_id=order_id), 303)


# -- loyalty ----------------------------------------------------------------------------------


@page(portal, "GET", "/loyalty", "My loyalty points")
def loyalty() -> Any:
    try:
        account_ = client.get("/portal/loyalty")
        entries = client.get("/portal/loyalty/entries")
    except GatewayError as missing:
        if missing.status != 404:
            raise
        account_, entries = None, {"items": []}  # no points earned yet
    return render("portal/loyalty.html", account=account_, entries=entries)
