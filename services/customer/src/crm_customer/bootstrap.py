"""The one place that wires the customer service together. Nothing is built at import time."""

from __future__ import annotations

import threading

from crm_platform import amqp
from crm_platform.auth import TokenVerifier, grpc_authenticator
from crm_platform.db import build_engine, ping, session_factory
from crm_platform.grpc_server import GrpcServer
from crm_platform.readiness import Readiness
from crm_platform.relay import OutboxRelay
from crm_platform.runner import ServiceApp
from crm_platform.settings import ServiceSettings

from crm_customer.adapters.unit_of_work import SqlUnitOfWork
from crm_customer.config import SERVICE_NAME, default_phone_region
from crm_customer.entrypoints import grpc_api
from crm_customer.entrypoints.authorization import POLICY
from crm_customer.service_layer.handlers import CustomerHandlers


def build_app(settings: ServiceSettings) -> ServiceApp:
    phone_region = default_phone_region()
    engine = build_engine(settings.database_url)
    sessions = session_factory(engine)
    handlers = CustomerHandlers(lambda: SqlUnitOfWork(sessions), phone_region=phone_region)
    readiness = Readiness(
        {
            "database": lambda: ping(engine),
            "broker": lambda: amqp.ping(settings.amqp_url),
        }
    )

    def serve_api(stop: threading.Event) -> None:
        # Built when the role runs: a process running only the relay leaves the port free
        # and needs no signing keys.
        GrpcServer(
            [grpc_api.binding(handlers)],
            port=settings.port,
            readiness=readiness,
            authenticate=grpc_authenticator(TokenVerifier.from_settings(settings)),
            policy=POLICY,
        ).run(stop)

    relay = OutboxRelay(engine, settings.amqp_url, app_id=SERVICE_NAME)
    return ServiceApp(
        settings=settings,
        roles={"api": serve_api, "relay": relay.run},
        readiness=readiness,
        on_stop=[engine.dispose],
    )
