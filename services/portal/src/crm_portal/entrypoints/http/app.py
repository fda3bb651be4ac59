"""The Flask app factory: routes, problems, observability and probes around given backends.

Readiness is the gateway's own: a worker that answers can serve. A backend that is down fails
only its own routes (a fast 503 from its circuit breaker), so it never takes the gateway, its
login and the other backends' routes out of the load balancer with it.

Request hooks run in this order: correlation id and metrics (observability), authentication
of protected routes (operations), rate limits keyed by the principal (limits); then the route:
authorization, query and body validation, Idempotency-Key, the view.
"""

from __future__ import annotations

from flask import Flask, Response, jsonify

from crm_portal import schemas
from crm_portal.adapters.backends import Backends
from crm_portal.config import MAX_BODY_BYTES
from crm_portal.entrypoints import web
from crm_portal.entrypoints.http import (
    auth,
    idempotency,
    limits,
    observability,
    openapi,
    operations,
    problems,
    routes,
)
from crm_portal.entrypoints.http.gateway import BACKENDS_KEY
from crm_portal.entrypoints.http.identity_routes import identity
from crm_portal.entrypoints.http.operations import PUBLIC, Answer


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
    app.register_blueprint(routes.blueprint())
    app.register_blueprint(identity)  # tokens, JWKS, admin, customer portal
    app.register_blueprint(openapi.docs)
    app.register_blueprint(web.blueprint())  # the customer portal at /, the console at /console/

    @operations.operation(
        app, "GET", "/healthz", summary="Liveness", tags=["meta"], allow=PUBLIC,
        responses={200: Answer("The process answers", schemas.Liveness)},
    )  # fmt: skip
    def healthz() -> Response:
        """The process answers: nothing else is checked, so a slow backend restarts nothing."""
        return jsonify(status="alive")

    @operations.operation(
        app, "GET", "/readyz", summary="Readiness", tags=["meta"], allow=PUBLIC,
        responses={200: Answer("The gateway can serve", schemas.Readiness)},
        problems=[503],
    )  # fmt: skip
    def readyz() -> Response:
        """Ready once the signing keys are known (until then every token is answered 503);
        `circuits` says which backends it currently fails fast for (open) or tries again
        (half_open). A backend being down does not make the gateway unready: its own routes
        answer 503 while the others, and login, keep working."""
        circuits = {name: str(state) for name, state in backends.circuits().items()}
        if not auth.keys_known():
            raise problems.Problem(
                503,
                "not ready: the token signing keys are not known yet",
                headers={"Retry-After": "1"},
            )
        return jsonify(status="ready", circuits=circuits)

    return app
