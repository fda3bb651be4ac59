"""The sales service's declaration: what the chassis wires together for it."""

from __future__ import annotations

from crm_platform.grpc_server import ServiceBinding
from crm_platform.service import Service, Wiring
from crm_platform.settings import ServiceSettings

from crm_sales.adapters.customer_directory import GrpcCustomers
from crm_sales.adapters.unit_of_work import SqlUnitOfWork
from crm_sales.config import MIGRATIONS_DIR, SERVICE_NAME
from crm_sales.entrypoints import grpc_api
from crm_sales.entrypoints.authorization import POLICY
from crm_sales.service_layer.handlers import OrderHandlers


def grpc_services(wiring: Wiring[ServiceSettings, SqlUnitOfWork]) -> list[ServiceBinding]:
    uow = wiring.unit_of_work
    customers = GrpcCustomers.connect(wiring.settings.grpc_targets["customer"])
    return [
        grpc_api.binding(OrderHandlers(uow, customers)),
    ]


SERVICE = Service(
    name=SERVICE_NAME,
    migrations=MIGRATIONS_DIR,
    unit_of_work=SqlUnitOfWork,
    grpc=grpc_services,
    policy=POLICY,
)
