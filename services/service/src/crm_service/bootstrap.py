"""The service (support) service's declaration: what the chassis wires together for it."""

from __future__ import annotations

from datetime import timedelta

from crm_platform.grpc_server import ServiceBinding
from crm_platform.service import Service, Wiring

from crm_service.adapters.customer_directory import GrpcCustomers
from crm_service.adapters.unit_of_work import SqlUnitOfWork
from crm_service.config import MIGRATIONS_DIR, SERVICE_NAME, SupportSettings
from crm_service.entrypoints import grpc_api, routing_api
from crm_service.entrypoints.authorization import POLICY
from crm_service.service_layer.cases import CaseHandlers
from crm_service.service_layer.routing import RoutingHandlers


def grpc_services(wiring: Wiring[SupportSettings, SqlUnitOfWork]) -> list[ServiceBinding]:
    settings = wiring.settings
    customers = GrpcCustomers.connect(settings.grpc_targets["customer"])
    window = timedelta(days=settings.reopen_window_days)
    uow = wiring.unit_of_work
    return [
        grpc_api.binding(CaseHandlers(uow, customers, reopen_window=window)),
        routing_api.binding(RoutingHandlers(uow)),
    ]


SERVICE = Service(
    name=SERVICE_NAME,
    migrations=MIGRATIONS_DIR,
    unit_of_work=SqlUnitOfWork,
    grpc=grpc_services,
    policy=POLICY,
    settings=SupportSettings,
)
