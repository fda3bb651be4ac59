"""The one place that wires the portal: backends from the configuration, then the app.

Called in each server worker, after it forks, so every process opens its own gRPC channels.
"""

from __future__ import annotations

from flask import Flask

from crm_portal.adapters.grpc_clients import connect
from crm_portal.config import PortalConfig
from crm_portal.entrypoints.http.app import create_app


def build_app(config: PortalConfig) -> Flask:
    return create_app(connect(config.customer_target, config.analytics_target))
