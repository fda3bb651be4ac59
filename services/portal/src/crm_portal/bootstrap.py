"""The one place that wires the portal: backends and the signing keys from the configuration,
then the app.

`build_app` runs in each server worker, after it forks, so every process opens its own gRPC
channels and fetches its own copy of identity's public keys (in the background: a request
never waits for them).
"""

from __future__ import annotations

from crm_platform.auth import RemoteKeys, TokenVerifier
from flask import Flask

from crm_portal.adapters.grpc_clients import connect
from crm_portal.config import PortalConfig
from crm_portal.entrypoints.http import auth, identity_routes
from crm_portal.entrypoints.http.app import create_app


def attach_identity(app: Flask, keys: RemoteKeys, config: PortalConfig) -> None:
    """The identity routes get the keys the gateway publishes and its login limits, and the
    gateway verifies tokens with the same keys."""
    identity_routes.provide(app, keys, config.login_limits)
    verifier = TokenVerifier(
        keys, issuer=config.settings.jwt_issuer, audience=config.settings.jwt_audience
    )
    auth.use_verifier(app, verifier)


def build_app(config: PortalConfig) -> Flask:
    backends = connect(
        {
            "customer": config.customer_target,
            "analytics": config.analytics_target,
            "identity": config.identity_target,
        },
        identity_routes.IDENTITY_READS,
    )
    app = create_app(backends, rate_limit=config.rate_limit, redis_url=config.redis_url)
    attach_identity(app, RemoteKeys.from_identity(config.identity_target).start(), config)
    return app
