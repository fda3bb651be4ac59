"""The service (support) service's declaration: what the chassis wires together for it."""

from __future__ import annotations

import threading
from datetime import timedelta

from crm_platform.grpc_server import ServiceBinding
from crm_platform.service import Service, Wiring, Worker

from crm_service.adapters.calendars import HolidayCalendars
from crm_service.adapters.clock import OffsetClock
from crm_service.adapters.customer_directory import GrpcCustomers
from crm_service.adapters.unit_of_work import SqlUnitOfWork
from crm_service.config import MIGRATIONS_DIR, SERVICE_NAME, SupportSettings
from crm_service.domain.sla import SlaPolicy, Target
from crm_service.entrypoints import grpc_api, knowledge_api, routing_api, sla_api
from crm_service.entrypoints.authorization import POLICY
from crm_service.entrypoints.mail_listener import run_listener
from crm_service.entrypoints.sla_jobs import run_monitor
from crm_service.service_layer.cases import CaseHandlers
from crm_service.service_layer.knowledge import KnowledgeHandlers
from crm_service.service_layer.mail import NO_CUSTOMERS, MailHandlers
from crm_service.service_layer.routing import RoutingHandlers
from crm_service.service_layer.sla import AgreementHandlers, SlaMonitor, SlaTerms


def sla_terms(settings: SupportSettings) -> SlaTerms:
    default = Target(
        first_response_minutes=settings.sla_first_response_minutes,
        resolution_minutes=settings.sla_resolution_minutes,
    )
    return SlaTerms(SlaPolicy((default,)), settings.default_calendar(), HolidayCalendars())


def grpc_services(wiring: Wiring[SupportSettings, SqlUnitOfWork]) -> list[ServiceBinding]:
    settings = wiring.settings
    customers = GrpcCustomers.connect(settings.grpc_targets["customer"])
    window = timedelta(days=settings.reopen_window_days)
    uow, terms = wiring.unit_of_work, sla_terms(settings)
    clock = OffsetClock(settings.clock_offset_file)
    return [
        grpc_api.binding(
            CaseHandlers(uow, customers, clock=clock, reopen_window=window, sla=terms)
        ),
        routing_api.binding(RoutingHandlers(uow, clock)),
        sla_api.binding(AgreementHandlers(uow, terms, clock)),
        knowledge_api.binding(KnowledgeHandlers(uow, clock)),
    ]


def sla_worker(wiring: Wiring[SupportSettings, SqlUnitOfWork]) -> Worker:
    settings = wiring.settings
    monitor = SlaMonitor(
        wiring.unit_of_work,
        sla_terms(settings),
        warning_share=settings.sla_warning_share,
        clock=OffsetClock(settings.clock_offset_file),
    )

    def run(stop: threading.Event) -> None:
        run_monitor(monitor, settings.sla_interval_seconds, stop)

    return Worker(run=run)


def mail_listener(wiring: Wiring[SupportSettings, SqlUnitOfWork]) -> Worker:
    settings = wiring.settings
    clock = OffsetClock(settings.clock_offset_file)
    # the listener opens cases for the contact as mail gives it: no customer service call
    cases = CaseHandlers(wiring.unit_of_work, NO_CUSTOMERS, clock=clock, sla=sla_terms(settings))
    mail = MailHandlers(
        wiring.unit_of_work,
        cases,
        attachment_max_bytes=settings.attachment_max_bytes,
        clock=clock,
    )

    def run(stop: threading.Event) -> None:
        run_listener(
            mail,
            host=settings.mail_host,
            port=settings.mail_port,
            max_bytes=settings.mail_max_bytes,
            stop=stop,
        )

    return Worker(run=run)


SERVICE = Service(
    name=SERVICE_NAME,
    migrations=MIGRATIONS_DIR,
    unit_of_work=SqlUnitOfWork,
    grpc=grpc_services,
    policy=POLICY,
    settings=SupportSettings,
    workers={"sla": sla_worker, "mail": mail_listener},
)
