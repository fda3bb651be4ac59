"""The analytics service's declaration: what the chassis wires together for it."""

from __future__ import annotations

from crm_platform.grpc_server import ServiceBinding
from crm_platform.service import Service, Wiring
from crm_platform.settings import ServiceSettings

from crm_analytics.adapters.unit_of_work import AnalyticsUnitOfWork
from crm_analytics.config import MIGRATIONS_DIR, SERVICE_NAME
from crm_analytics.entrypoints import grpc_api
from crm_analytics.entrypoints.authorization import POLICY
from crm_analytics.entrypoints.consumer import HANDLERS


def grpc_services(wiring: Wiring[ServiceSettings, AnalyticsUnitOfWork]) -> list[ServiceBinding]:
    return [grpc_api.binding(grpc_api.AnalyticsServicer(wiring.unit_of_work))]


SERVICE = Service(
    name=SERVICE_NAME,
    migrations=MIGRATIONS_DIR,
    unit_of_work=AnalyticsUnitOfWork,
    grpc=grpc_services,
    policy=POLICY,
    consumer=HANDLERS,
    clear_read_model=lambda uow: uow.customers.clear(),
)
