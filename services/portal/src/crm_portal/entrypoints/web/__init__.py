"""The web pages the portal serves: the customer portal at / and the staff console at
/console/, rendered on the server (Jinja2) with htmx for the parts that update in place.

Every asset is the package's own (static/, htmx vendored), served under /assets/, so the
pages' Content-Security-Policy allows only this site and no inline script or style.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, redirect, request, send_from_directory, url_for
from werkzeug.wrappers import Response

from crm_portal.entrypoints.web import pages, session
from crm_portal.entrypoints.web.client import GatewayError, SignInRequired
from crm_portal.entrypoints.web.console import console
from crm_portal.entrypoints.web.pages import page, render
from crm_portal.entrypoints.web.portal import portal

STATIC = Path(__file__).parent / "static"
ASSETS = ("htmx.min.js", "site.css", "console.js")
ASSET_MAX_AGE = 3600  # seconds


def _sign_in_again(_error: SignInRequired) -> Response:
    console_page = request.blueprint == "web.console"
    where = "web.console.login_form" if console_page else "web.portal.login_form"
    target = request.full_path if request.method == "GET" else ""
    login = url_for(where, next=target.rstrip("?"))
    if pages.is_htmx():  # the whole page goes to the login, not the fragment htmx asked for
        return Response(status=204, headers={"HX-Redirect": login})
    return redirect(login)


def _refused(error: GatewayError) -> Any:
    """A route's refusal as a page: 404 (unknown, or not the user's: the API says the same),
    403 (not for this role), 503 (a service is away)."""
    return render("error.html", error.status, status=error.status, detail=error.detail)


def _csrf_refused(_error: session.CsrfRefused) -> Any:
    detail = "The form was not sent from this site's page. Reload the page and try again."
    return render("error.html", 403, status=403, detail=detail)


def _template_values() -> dict[str, Any]:
    return {
        "csrf_field": pages.csrf_field,
        "signed_in": session.signed_in(),
    }


def blueprint() -> Blueprint:
    """The pages, for one app: register it without a prefix."""
    web = Blueprint("web", __name__, template_folder="templates")
    web.before_request(session.check_csrf)
    web.after_request(session.finish)
    web.context_processor(_template_values)
    web.register_error_handler(SignInRequired, _sign_in_again)
    web.register_error_handler(GatewayError, _refused)
    web.register_error_handler(session.CsrfRefused, _csrf_refused)
    for name, function in (("money", pages.money), ("when", pages.when), ("label", pages.label)):
        web.add_app_template_filter(function, name)

    @page(
        web,
        "GET",
        f"/assets/<any({', '.join(repr(a) for a in ASSETS)}):asset>",
        "The pages' assets",
    )
    def asset(asset: str) -> Response:
        return send_from_directory(STATIC, asset, max_age=ASSET_MAX_AGE)

    web.register_blueprint(portal)
    web.register_blueprint(console)
    return web
