"""The Flask app factory: routes, problems, observability and probes around given backends."""

from __future__ import annotations

from flask import Flask, Response, jsonify

from crm_portal.adapters.backends import Backends
from crm_portal.config import MAX_BODY_BYTES
from crm_portal.entrypoints.http import observability, problems
from crm_portal.entrypoints.http.routes import BACKENDS_KEY, api


def create_app(backends: Backends) -> Flask:
    app = Flask("crm_portal")
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.json.sort_keys = False  # type: ignore[attr-defined]  # keep the documented field order
    app.extensions[BACKENDS_KEY] = backends
    observability.install(app)
    problems.register(app)
    app.register_blueprint(api)

    @app.get("/healthz")
    def healthz() -> Response:
        """The process answers: nothing else is checked, so a slow backend restarts nothing."""
        return jsonify(status="alive")

    @app.get("/readyz")
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
