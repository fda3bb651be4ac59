"""The analytics service's declaration: what the chassis wires together for it."""

from __future__ import annotations

from crm_platform import privacy
from crm_platform.grpc_server import ServiceBinding
from crm_platform.service import Service, Wiring
from crm_platform.settings import ServiceSettings

from crm_analytics.adapters.unit_of_work import AnalyticsUnitOfWork
from crm_analytics.config import MIGRATIONS_DIR, SERVICE_NAME
from crm_analytics.entrypoints import grpc_api, segments_api
from crm_analytics.entrypoints.authorization import POLICY
from crm_analytics.entrypoints.consumer import HANDLERS
from crm_analytics.entrypoints.recompute_command import recompute_value_command
from crm_analytics.service_layer.rfm import ValueHandlers
from crm_analytics.service_layer.segments import SegmentHandlers


def grpc_services(wiring: Wiring[ServiceSettings, AnalyticsUnitOfWork]) -> list[ServiceBinding]:
    segments = SegmentHandlers(wiring.unit_of_work)
    value = ValueHandlers(wiring.unit_of_work, segments.recompute)
    return [
        grpc_api.binding(grpc_api.AnalyticsServicer(wiring.unit_of_work, value)),
        segments_api.binding(segments),
        privacy.binding(SERVICE_NAME, wiring.unit_of_work, privacy.collect_records),
    ]


def clear_read_model(uow: AnalyticsUnitOfWork) -> None:
    """What `crm-analytics rebuild` replays the event log into. The segment definitions are
    the marketers' own and stay; their members are checked again as the events replay."""
    uow.customers.clear()
    uow.value.clear()
    uow.rfm.clear()


SERVICE = Service(
    name=SERVICE_NAME,
    migrations=MIGRATIONS_DIR,
    unit_of_work=AnalyticsUnitOfWork,
    grpc=grpc_services,
    policy=POLICY,
    consumer=HANDLERS,
    clear_read_model=clear_read_model,
    commands={"recompute-value": recompute_value_command},
)
