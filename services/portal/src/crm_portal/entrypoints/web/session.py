"""The browser's side of a page: the session cookies, the CSRF check and the pages' headers.

The session is the user's own tokens in cookies the page's script cannot read (HttpOnly),
sent only with same-site navigations (SameSite=Lax) and only over TLS when the page came over
TLS (Secure). The portal keeps no session state of its own, so any worker serves any page.

CSRF: a double-submit token. A random value lives in its own HttpOnly cookie and in a hidden
field of every form; a POST whose field does not match the cookie (compared in constant time)
is refused, as is one whose Origin is another site. Another site can neither read the cookie
nor set it, so it cannot forge the field.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

from flask import Response, g, request

ACCESS_COOKIE = "crm_access"
REFRESH_COOKIE = "crm_refresh"
CSRF_COOKIE = "crm_csrf"
CSRF_FIELD = "csrf_token"
REFRESH_MAX_AGE = 30 * 24 * 3600  # seconds; identity decides how long the token is good for
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    )
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

_CHANGED = "web_session_changed"  # g: the (access, refresh) to set; empty ones are cleared
_NEW_CSRF = "web_new_csrf"  # g: the CSRF value this response introduces


class CsrfRefused(Exception):
    """A form post without the page's CSRF token, or from another site."""


def access_token() -> str | None:
    changed = g.get(_CHANGED)
    if changed is not None:
        return changed[0] or None
    return request.cookies.get(ACCESS_COOKIE) or None


def refresh_token() -> str | None:
    changed = g.get(_CHANGED)
    if changed is not None:
        return changed[1] or None
    return request.cookies.get(REFRESH_COOKIE) or None


def signed_in() -> bool:
    return access_token() is not None or refresh_token() is not None


def keep(access: str, refresh: str | None) -> None:
    """Tokens of a new or renewed login: set on the response."""
    setattr(g, _CHANGED, (access, refresh or refresh_token() or ""))


def forget() -> None:
    setattr(g, _CHANGED, ("", ""))


def csrf_token() -> str:
    """The value for the forms of this page (the browser's, or a new one it is given)."""
    value = g.get(_NEW_CSRF) or request.cookies.get(CSRF_COOKIE)
    if not value:
        value = secrets.token_urlsafe(32)
        setattr(g, _NEW_CSRF, value)
    return value


def same_origin(origin: str, host_url: str) -> bool:
    """Whether an Origin header names this site (scheme, host and port)."""
    theirs, ours = urlsplit(origin), urlsplit(host_url)
    return (theirs.scheme, theirs.netloc) == (ours.scheme, ours.netloc)


def tokens_match(sent: str | None, kept: str | None) -> bool:
    return bool(sent) and bool(kept) and hmac.compare_digest(str(sent), str(kept))


def check_csrf() -> None:
    """Before every page view: an unsafe method needs the form's token and our own origin."""
    if request.method not in UNSAFE_METHODS:
        return
    origin = request.headers.get("Origin")
    if origin is not None and not same_origin(origin, request.host_url):
        raise CsrfRefused
    if not tokens_match(request.form.get(CSRF_FIELD), request.cookies.get(CSRF_COOKIE)):
        raise CsrfRefused


def finish(response: Response) -> Response:
    """After every page view: the pages' headers and the cookies that changed."""
    response.headers.update(PAGE_HEADERS)
    # pages show the user's own records; the assets say how long they keep
    response.headers.setdefault("Cache-Control", "no-store")
    secure = request.is_secure
    cookie = {"httponly": True, "samesite": "Lax", "secure": secure, "path": "/"}
    new_csrf = g.get(_NEW_CSRF)
    if new_csrf:
        response.set_cookie(CSRF_COOKIE, new_csrf, **cookie)  # type: ignore[arg-type]
    changed = g.get(_CHANGED)
    if changed is not None:
        access, refresh = changed
        if access:
            response.set_cookie(ACCESS_COOKIE, access, **cookie)  # type: ignore[arg-type]
        else:
            response.delete_cookie(ACCESS_COOKIE, path="/", secure=secure, httponly=True)
        if refresh:
            response.set_cookie(
                REFRESH_COOKIE,
                refresh,
                max_age=REFRESH_MAX_AGE,
                **cookie,  # type: ignore[arg-type]
            )
        else:
            response.delete_cookie(REFRESH_COOKIE, path="/", secure=secure, httponly=True)
    return response
