"""Per request: the correlation id (in from the caller or new, out in the response header and
on to the backends through the gRPC client), Prometheus metrics by route template, and one
JSON access log line."""

from __future__ import annotations

import logging
import re
import time

from crm_platform import context, metrics
from flask import Flask, Response, g, request

CORRELATION_HEADER = "X-Correlation-ID"
UNMATCHED_ROUTE = "unmatched"  # 404 and 405: raw paths would explode the label set
_PROBE_ROUTES = ("/healthz", "/readyz")
# forwarded as gRPC metadata and logged, so only plain tokens are taken from the caller
_CORRELATION_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_RULE_VARIABLE = re.compile(r"<(?:[^<>]*:)?(\w+)>")

access_log = logging.getLogger("crm.access")


def route_template(rule: str) -> str:
    """/api/v1/customers/<uuid:customer_id> -> /api/v1/customers/{customer_id}"""
    return _RULE_VARIABLE.sub(r"{\1}", rule)


def _begin() -> None:
    g.started = time.perf_counter()
    incoming = request.headers.get(CORRELATION_HEADER, "")
    correlation_id = incoming if _CORRELATION_ID.match(incoming) else context.new_correlation_id()
    g.correlation_token = context.correlation_id.set(correlation_id)


def _finish(response: Response) -> Response:
    response.headers[CORRELATION_HEADER] = context.current_correlation_id()
    route = route_template(request.url_rule.rule) if request.url_rule else UNMATCHED_ROUTE
    elapsed = time.perf_counter() - g.started
    status = response.status_code
    metrics.HTTP_REQUESTS.labels(route, request.method, str(status)).inc()
    metrics.HTTP_LATENCY.labels(route, request.method).observe(elapsed)
    if not (route in _PROBE_ROUTES and status == 200):  # probes every few seconds
        access_log.info(
            "%s %s %d",
            request.method, route, status,
            extra={"route": route, "method": request.method, "status": status,
                   "duration_ms": round(elapsed * 1000, 2)},
        )  # fmt: skip
    return response


def _end(_error: BaseException | None) -> None:
    """Context variables outlive the request in a server thread: put them back."""
    correlation_token = g.pop("correlation_token", None)
    if correlation_token is not None:
        context.correlation_id.reset(correlation_token)


def install(app: Flask) -> None:
    app.before_request(_begin)
    app.after_request(_finish)
    app.teardown_request(_end)
