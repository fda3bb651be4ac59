"""The service (support) service's declaration: what the chassis wires together for it."""

from __future__ import annotations

import threading
from datetime import timedelta

from crm_platform import privacy
from crm_platform.clock import OffsetClock
from crm_platform.grpc_server import ServiceBinding
from crm_platform.service import Service, Wiring, Worker

from crm_service.adapters.calendars import HolidayCalendars
from crm_service.adapters.customer_directory import GrpcCustomers
from crm_service.adapters.unit_of_work import SqlUnitOfWork
from crm_service.config import MIGRATIONS_DIR, SERVICE_NAME, SupportSettings
from crm_service.domain.sla import SlaPolicy, Target
from crm_service.entrypoints import (
    grpc_api,
    knowledge_api,
    mail_sender,
    routing_api,
    sla_api,
    surveys_api,
)
from crm_service.entrypoints.authorization import POLICY
from crm_service.entrypoints.care_command import care_command
from crm_service.entrypoints.consumer import HANDLERS
from crm_service.entrypoints.mail_listener import run_listener
from crm_service.entrypoints.sla_jobs import run_monitor
from crm_service.service_layer.care import CareHandlers
from crm_service.service_layer.cases import CaseHandlers
from crm_service.service_layer.closing import AutoClose
from crm_service.service_layer.knowledge import KnowledgeHandlers
from crm_service.service_layer.mail import NO_CUSTOMERS, MailHandlers
from crm_service.service_layer.routing import RoutingHandlers
from crm_service.service_layer.sla import AgreementHandlers, SlaMonitor, SlaTerms
from crm_service.service_layer.surveys import SurveyHandlers


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
    links = surveys_api.links_of(settings)
    return [
        grpc_api.binding(
            CaseHandlers(
                uow,
                customers,
                clock=clock,
                reopen_window=window,
                sla=terms,
                outbound=mail_sender.outbound_of(settings, links),
            )
        ),
        routing_api.binding(RoutingHandlers(uow, clock)),
        sla_api.binding(AgreementHandlers(uow, terms, clock)),
        knowledge_api.binding(KnowledgeHandlers(uow, clock)),
        surveys_api.binding(SurveyHandlers(uow, links, clock)),
        surveys_api.care_binding(CareHandlers(uow, clock)),
        privacy.binding(SERVICE_NAME, uow, privacy.collect_records),
    ]


def sla_worker(wiring: Wiring[SupportSettings, SqlUnitOfWork]) -> Worker:
    settings = wiring.settings
    monitor = SlaMonitor(
        wiring.unit_of_work,
        sla_terms(settings),
        warning_share=settings.sla_warning_share,
        clock=OffsetClock(settings.clock_offset_file),
    )
    closer = AutoClose(
        wiring.unit_of_work,
        timedelta(days=settings.auto_close_days),
        OffsetClock(settings.clock_offset_file),
    )

    def run(stop: threading.Event) -> None:
        run_monitor(monitor, settings.sla_interval_seconds, stop, closer)

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
    consumer=HANDLERS,
    clear_read_model=lambda uow: uow.contacts.clear(),  # gives it `crm-service rebuild`
    commands={"care": care_command},
    workers={"sla": sla_worker, "mail": mail_listener, "sender": mail_sender.worker},
)
