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
from crm_portal.config import PortalSettings
from crm_portal.entrypoints.http import auth, identity_routes, routes
from crm_portal.entrypoints.http.app import create_app

KEYS_WAIT = 10.0  # seconds a starting worker waits for identity's public keys


def attach_identity(app: Flask, keys: RemoteKeys, settings: PortalSettings) -> None:
    """The identity routes get the keys the gateway publishes and its login limits, the
    routes with limits of their own theirs, and the gateway verifies tokens with the keys."""
    identity_routes.provide(app, keys, settings.route_limits)
    app.config.update(settings.route_limits)
    verifier = TokenVerifier(keys, issuer=settings.jwt_issuer, audience=settings.jwt_audience)
    auth.use_verifier(app, verifier)


def build_app(settings: PortalSettings) -> Flask:
    backends = connect(settings.backend_targets, routes.READS)
    app = create_app(backends, rate_limit=settings.rate_limit, redis_url=settings.redis_url)
    keys = RemoteKeys.from_identity(settings.grpc_targets["identity"]).start()
    # The worker accepts connections once this returns: waiting for the keys here keeps the
    # first requests queued instead of answered 503 (after the wait they are, until fetched).
    keys.wait(KEYS_WAIT)
    attach_identity(app, keys, settings)
    return app
