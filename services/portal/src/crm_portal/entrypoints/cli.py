"""`crm-portal [api]`: the REST API gateway under gunicorn, configured from the environment.

CRM_PORTAL_PORT (8080) and CRM_PORTAL_METRICS_PORT (9107); CRM_CUSTOMER_GRPC_TARGET,
CRM_ANALYTICS_GRPC_TARGET and CRM_IDENTITY_GRPC_TARGET; CRM_PORTAL_WORKERS (2),
CRM_PORTAL_THREADS (8), CRM_PORTAL_GRACEFUL_TIMEOUT (30 s); PROMETHEUS_MULTIPROC_DIR (a new
temporary directory when unset); the login limits (see config.PortalSettings). Accounts,
tokens and keys are identity's (`crm-identity`). SIGTERM stops accepting connections and lets
in-flight requests finish.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from crm_platform.logs import configure_logging
from crm_platform.multiprocess import MULTIPROC_ENV, prepare_metrics_dir
from crm_platform.settings import ConfigurationError

from crm_portal.config import SERVICE_NAME, PortalSettings

if TYPE_CHECKING:
    from flask import Flask

log = logging.getLogger(__name__)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=f"crm-{SERVICE_NAME}", description="Guanxi portal: the REST API gateway"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("api", help="serve the HTTP API (the default)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    _parser().parse_args(argv)  # --help, and `api`: the one command
    try:
        settings = PortalSettings.from_env(SERVICE_NAME)
    except ConfigurationError as exc:
        print(exc, file=sys.stderr)
        return 2
    return _serve(settings)


def _serve(settings: PortalSettings) -> int:
    configure_logging(SERVICE_NAME, settings.log_level)
    metrics_dir, created = prepare_metrics_dir(os.environ)
    os.environ[MULTIPROC_ENV] = str(metrics_dir)
    # only now: prometheus_client reads PROMETHEUS_MULTIPROC_DIR when first imported
    from crm_portal.entrypoints.gunicorn_server import (
        MetricsEndpoint,
        PortalServer,
        gunicorn_options,
    )

    metrics = MetricsEndpoint(
        settings.metrics_port,
        metrics_dir,
        api_port=settings.port,
        remove_on_exit=created,
    )

    def load_app() -> Flask:
        # in the worker, after the fork: the master holds no gRPC channel
        from crm_portal.bootstrap import build_app

        return build_app(settings)

    log.info(
        "portal: serving on port %d with %d workers x %d threads; backends %s",
        settings.port, settings.workers, settings.threads, settings.backend_targets,
    )  # fmt: skip
    PortalServer(gunicorn_options(settings, metrics), load_app).run()
    return 0
