"""The read baseline: a bare JSON endpoint served exactly as the portal is served (the portal's
gunicorn options: gthread workers and threads from CRM_PORTAL_WORKERS/THREADS, keep-alive,
the metrics master), so the difference to the real route is the product's own work.

    python -m bench.bare_app   # port CRM_PORTAL_PORT, metrics on CRM_PORTAL_METRICS_PORT
"""

from __future__ import annotations

import os
import uuid

from crm_platform.logs import configure_logging
from crm_portal.config import SERVICE_NAME, PortalSettings
from crm_portal.entrypoints.cli import prepare_metrics_dir
from flask import Flask, Response, jsonify

# About the size and shape of a customer as the API answers it.
CUSTOMER = {
    "id": str(uuid.UUID(int=1)),
    "kind": "person",
    "name": "Wei Wang 1",
    "email": "bench.1@example.com",
    "phone": "+12012000001",
    "region": "Shanghai",
    "city": "Central",
    "birth_date": "1951-02-02",
    "gender": "male",
    "tags": ["newsletter", "vip"],
    "preferences": {},
    "source": "phone",
    "owner_id": None,
    "blacklisted": False,
    "blacklist_reason": None,
    "merged_into_id": None,
    "consents": [],
    "version": 1,
    "created_at": "2025-01-01T00:00:00Z",
    "updated_at": "2025-01-01T00:00:00Z",
}


def build_app() -> Flask:
    app = Flask("bench-bare")

    @app.get("/bare/ping")
    def ping() -> Response:
        return jsonify({"status": "ok"})

    @app.get("/bare/customers/<uuid:customer_id>")
    def customer(customer_id: uuid.UUID) -> Response:
        return jsonify({**CUSTOMER, "id": str(customer_id)})

    return app


def main() -> int:
    settings = PortalSettings.from_env(SERVICE_NAME)
    configure_logging("bench-bare", "WARNING")
    metrics_dir, created = prepare_metrics_dir(os.environ)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    from crm_portal.entrypoints.gunicorn_server import (
        MetricsEndpoint,
        PortalServer,
        gunicorn_options,
    )

    metrics = MetricsEndpoint(
        settings.metrics_port, metrics_dir, api_port=settings.port, remove_on_exit=created
    )
    options = gunicorn_options(settings, metrics) | {"proc_name": "bench-bare"}
    PortalServer(options, build_app).run()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
