"""The Flask app factory: routes, problems, observability and probes around given backends.

Request hooks run in this order: correlation id and metrics (observability), authentication
of protected routes (operations), rate limits keyed by the principal (limits); then the route:
authorization, query and body validation, Idempotency-Key, the view.
"""

from __future__ import annotations

from flask import Flask, Response, jsonify

from crm_portal import schemas
from crm_portal.adapters.backends import Backends
from crm_portal.config import MAX_BODY_BYTES
from crm_portal.entrypoints.http import (
    idempotency,
    limits,
    observability,
    openapi,
    operations,
    problems,
)
from crm_portal.entrypoints.http.identity_routes import identity
from crm_portal.entrypoints.http.operations import PUBLIC, Answer
from crm_portal.entrypoints.http.routes import BACKENDS_KEY, api


def create_app(
    backends: Backends, *, rate_limit: str | None = None, redis_url: str | None = None
) -> Flask:
    """`rate_limit`: the API's limit per caller (default limits.DEFAULT_RATE_LIMIT);
    `redis_url`: where rate limit counts and Idempotency-Keys live (memory when None)."""
    app = Flask("crm_portal")
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.json.sort_keys = False  # type: ignore[attr-defined]  # keep the documented field order
    app.extensions[BACKENDS_KEY] = backends
    observability.install(app)
    problems.register(app)
    operations.install(app)
    limits.install(app, rate_limit=rate_limit, redis_url=redis_url)
    idempotency.install(app, redis_url)
    app.register_blueprint(api)
    app.register_blueprint(identity)  # tokens, JWKS, admin, customer portal
    app.register_blueprint(openapi.docs)

    @operations.operation(
        app, "GET", "/healthz", summary="Liveness", tags=["meta"], allow=PUBLIC,
        responses={200: Answer("The process answers", schemas.Liveness)},
    )  # fmt: skip
    def healthz() -> Response:
        """The process answers: nothing else is checked, so a slow backend restarts nothing."""
        return jsonify(status="alive")

    @operations.operation(
        app, "GET", "/readyz", summary="Readiness", tags=["meta"], allow=PUBLIC,
        responses={200: Answer("The backends serve", schemas.Readiness)}, problems=[503],
    )  # fmt: skip
    def readyz() -> Response:
        """Ready when the backends' gRPC health says SERVING (they check their own database
        and broker), so traffic is only sent while requests can succeed."""
        checks = {
            "customer": backends.customers.is_serving(),
            "analytics": backends.analytics.is_serving(),
        }
        states = {name: "serving" if ok else "not_serving" for name, ok in checks.items()}
        if all(checks.values()):
            return jsonify(status="ready", checks=states)
        down = ", ".join(name for name, ok in checks.items() if not ok)
        problem = problems.Problem(503, f"not serving: {down}", extensions={"checks": states})
        return problems.response(problem)

    return app
