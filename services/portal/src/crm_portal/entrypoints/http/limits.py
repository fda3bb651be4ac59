"""Rate limits on the API (flask-limiter), one `limiter` for the whole portal.

- The whole API shares one limit per caller, `CRM_PORTAL_RATE_LIMIT` (default "600/minute",
  any flask-limiter expression such as "100/second;5000/hour"), counted per principal: the
  token's subject when the caller is authenticated, the client address otherwise.
- Probes, metrics, the OpenAPI document and the docs page are not limited.
- Counts live in Redis when `CRM_REDIS_URL` is set, so every worker and every replica shares
  them; in process memory otherwise (development and tests only), and while Redis is
  unreachable.
- A breach answers 429 problem+json with `Retry-After`; every limited response carries
  `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset`.

A route adds its own, stricter limit with the decorator, e.g. for login attempts::

    from crm_portal.entrypoints.http.limits import limiter, client_address

    @limiter.limit("10/minute", key_func=client_address)
    def issue_token() -> Response: ...

Such a route limit counts on top of the API-wide one. The app factory calls `install(app, ...)`:
the API-wide limit is read from the app's config on each request, so several apps (tests) can
share the one `limiter`.
"""

from __future__ import annotations

from crm_platform import context
from flask import Flask, Response, current_app, request
from flask_limiter import HeaderNames, Limiter

DEFAULT_RATE_LIMIT = "600/minute"
RATE_LIMIT_CONFIG = "CRM_PORTAL_RATE_LIMIT"
API_PREFIX = "/api/"
# the limiter's own name for the seconds to wait; it becomes Retry-After on a 429 only, so a
# 503's Retry-After stays as the error handler set it
_LIMITER_RETRY_AFTER = "X-RateLimit-Retry-After"


def client_address() -> str:
    """The caller's address as the server sees it (the proxy in front sets it right)."""
    return request.remote_addr or "unknown"


def principal_key() -> str:
    """Per principal when authenticated (they carry a token), per address otherwise."""
    principal = context.principal.get()
    if principal.token:
        return f"sub:{principal.subject}"
    return f"ip:{client_address()}"


def _api_limit() -> str:
    value: str = current_app.config.get(RATE_LIMIT_CONFIG) or DEFAULT_RATE_LIMIT
    return value


def _not_api() -> bool:
    return not request.path.startswith(API_PREFIX)


limiter = Limiter(
    key_func=principal_key,
    # one budget per caller across the whole API (not per route)
    application_limits=[_api_limit],
    application_limits_exempt_when=_not_api,
    headers_enabled=True,
    header_name_mapping={HeaderNames.RETRY_AFTER: _LIMITER_RETRY_AFTER},
    strategy="fixed-window",
    # Redis down: count in this process's memory until it is back, rather than fail requests
    in_memory_fallback_enabled=True,
    key_prefix="crm-portal",
)


def _retry_after_only_on_429(response: Response) -> Response:
    """The limiter computes the wait on every limited response; it means something on 429."""
    wait = response.headers.pop(_LIMITER_RETRY_AFTER, None)
    if response.status_code == 429 and wait is not None:
        response.headers["Retry-After"] = str(max(int(wait), 1))
    return response


def install(app: Flask, *, rate_limit: str | None, redis_url: str | None) -> None:
    """Limit `app`'s API: call after the hooks that set the principal (they must run first)."""
    app.config[RATE_LIMIT_CONFIG] = rate_limit or DEFAULT_RATE_LIMIT
    app.config["RATELIMIT_STORAGE_URI"] = redis_url or "memory://"
    app.after_request(_retry_after_only_on_429)  # registered first, so it runs last
    limiter.init_app(app)
