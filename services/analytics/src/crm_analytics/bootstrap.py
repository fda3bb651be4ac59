"""The analytics service's declaration: what the chassis wires together for it."""

from __future__ import annotations

from crm_platform.grpc_server import ServiceBinding
from crm_platform.service import Service, Wiring
from crm_platform.settings import ServiceSettings

from crm_analytics.adapters.unit_of_work import AnalyticsUnitOfWork
from crm_analytics.config import MIGRATIONS_DIR, SERVICE_NAME
from crm_analytics.entrypoints import grpc_api, segments_api
from crm_analytics.entrypoints.authorization import POLICY
from crm_analytics.entrypoints.consumer import HANDLERS
from crm_analytics.service_layer.segments import SegmentHandlers


def grpc_services(wiring: Wiring[ServiceSettings, AnalyticsUnitOfWork]) -> list[ServiceBinding]:
    return [
        grpc_api.binding(grpc_api.AnalyticsServicer(wiring.unit_of_work)),
        segments_api.binding(SegmentHandlers(wiring.unit_of_work)),
    ]


def clear_read_model(uow: AnalyticsUnitOfWork) -> None:
    """What `crm-analytics rebuild` replays the event log into. The segment definitions are
    the marketers' own and stay; their members are checked again as the events replay."""
    uow.customers.clear()
    uow.value.clear()


SERVICE = Service(
    name=SERVICE_NAME,
    migrations=MIGRATIONS_DIR,
    unit_of_work=AnalyticsUnitOfWork,
    grpc=grpc_services,
    policy=POLICY,
    consumer=HANDLERS,
    clear_read_model=clear_read_model,
)
