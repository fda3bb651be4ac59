"""The one place that wires the analytics service together. Nothing is built at import time."""

from __future__ import annotations

import threading
from collections.abc import Callable

from crm_platform import amqp, db
from crm_platform.auth import TokenVerifier, grpc_authenticator
from crm_platform.consumer import EventConsumer
from crm_platform.events import source_of
from crm_platform.grpc_server import GrpcServer
from crm_platform.readiness import Readiness
from crm_platform.runner import ServiceApp
from crm_platform.settings import ServiceSettings
from sqlalchemy import Engine

from crm_analytics.adapters.unit_of_work import AnalyticsUnitOfWork
from crm_analytics.config import SERVICE_NAME
from crm_analytics.entrypoints import grpc_api
from crm_analytics.entrypoints.authorization import POLICY
from crm_analytics.entrypoints.consumer import HANDLERS, SUBSCRIPTION


def unit_of_work_factory(engine: Engine) -> Callable[[], AnalyticsUnitOfWork]:
    sessions = db.session_factory(engine)
    source = source_of(SERVICE_NAME)
    return lambda: AnalyticsUnitOfWork(sessions, source)


def build_app(settings: ServiceSettings) -> ServiceApp:
    engine = db.build_engine(settings.database_url)
    uow_factory = unit_of_work_factory(engine)
    readiness = Readiness(
        {
            "database": lambda: db.ping(engine),
            "broker": lambda: amqp.ping(settings.amqp_url),
        }
    )

    def serve_api(stop: threading.Event) -> None:
        # Built when the role runs: a process running only the consumer leaves the port free.
        GrpcServer(
            [grpc_api.binding(grpc_api.AnalyticsServicer(uow_factory))],
            port=settings.port,
            readiness=readiness,
            authenticate=grpc_authenticator(TokenVerifier.from_settings(settings)),
            policy=POLICY,
        ).run(stop)

    consumer = EventConsumer(settings.amqp_url, SUBSCRIPTION, HANDLERS, uow_factory)
    return ServiceApp(
        settings=settings,
        roles={"api": serve_api, "consumer": consumer.run},
        readiness=readiness,
        on_stop=[engine.dispose],
    )
