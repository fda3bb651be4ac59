"""The partner service's declaration: what the chassis wires together for it."""

from __future__ import annotations

import threading

from crm_platform.clock import OffsetClock
from crm_platform.grpc_server import ServiceBinding
from crm_platform.service import Service, Wiring, Worker

from crm_partner.adapters.geocoding import GeoNamesGeocoder
from crm_partner.adapters.unit_of_work import SqlUnitOfWork
from crm_partner.config import MIGRATIONS_DIR, SERVICE_NAME, PartnerSettings
from crm_partner.entrypoints import grpc_api
from crm_partner.entrypoints.authorization import POLICY
from crm_partner.entrypoints.consumer import HANDLERS
from crm_partner.entrypoints.deadline_jobs import run_deadlines
from crm_partner.service_layer.campaigns import CampaignHandlers
from crm_partner.service_layer.directory import DirectoryHandlers
from crm_partner.service_layer.outsourcing import AnswerTerms, OutsourcingHandlers
from crm_partner.service_layer.registrations import RegistrationHandlers


def outsourcing(
    wiring: Wiring[PartnerSettings, SqlUnitOfWork], geocoder: GeoNamesGeocoder
) -> OutsourcingHandlers:
    settings = wiring.settings
    return OutsourcingHandlers(
        wiring.unit_of_work,
        geocoder,
        AnswerTerms(settings.calendar(), settings.answer_minutes),
        OffsetClock(settings.clock_offset_file),
    )


def grpc_services(wiring: Wiring[PartnerSettings, SqlUnitOfWork]) -> list[ServiceBinding]:
    uow, geocoder = wiring.unit_of_work, GeoNamesGeocoder()
    clock = OffsetClock(wiring.settings.clock_offset_file)
    servicer = grpc_api.PartnerServicer(
        DirectoryHandlers(uow, geocoder, clock),
        outsourcing(wiring, geocoder),
        RegistrationHandlers(uow, clock),
        CampaignHandlers(uow, clock),
    )
    return [grpc_api.binding(servicer)]


def deadlines_worker(wiring: Wiring[PartnerSettings, SqlUnitOfWork]) -> Worker:
    handlers = outsourcing(wiring, GeoNamesGeocoder())
    interval = wiring.settings.deadlines_interval_seconds

    def run(stop: threading.Event) -> None:
        run_deadlines(handlers, interval, stop)

    return Worker(run=run)


SERVICE = Service(
    name=SERVICE_NAME,
    migrations=MIGRATIONS_DIR,
    unit_of_work=SqlUnitOfWork,
    grpc=grpc_services,
    policy=POLICY,
    consumer=HANDLERS,
    settings=PartnerSettings,
    workers={"deadlines": deadlines_worker},
)
