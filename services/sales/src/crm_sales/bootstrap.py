"""The sales service's declaration: what the chassis wires together for it."""

from __future__ import annotations

from crm_platform import privacy, registry
from crm_platform.grpc_server import ServiceBinding
from crm_platform.service import Service, Wiring

from crm_sales.adapters.customer_directory import GrpcCustomers
from crm_sales.adapters.price_lists import GrpcPriceLists, NoPriceLists
from crm_sales.adapters.unit_of_work import SqlUnitOfWork
from crm_sales.config import MIGRATIONS_DIR, SERVICE_NAME, SalesSettings
from crm_sales.entrypoints import (
    activities_api,
    expenses_api,
    grpc_api,
    leads_api,
    opportunities_api,
    performance_api,
    quotes_api,
    teams_api,
)
from crm_sales.entrypoints.authorization import POLICY
from crm_sales.entrypoints.consumer import HANDLERS
from crm_sales.entrypoints.win_models_command import rebuild_win_models_command
from crm_sales.service_layer.activities import ActivityHandlers
from crm_sales.service_layer.expenses import ExpenseHandlers
from crm_sales.service_layer.handlers import OrderHandlers
from crm_sales.service_layer.leads import LeadHandlers
from crm_sales.service_layer.opportunities import OpportunityHandlers
from crm_sales.service_layer.performance import PerformanceHandlers
from crm_sales.service_layer.quotes import PriceLists, QuoteHandlers
from crm_sales.service_layer.teams import TeamHandlers


def grpc_services(wiring: Wiring[SalesSettings, SqlUnitOfWork]) -> list[ServiceBinding]:
    uow = wiring.unit_of_work
    customers = GrpcCustomers.connect(wiring.settings.grpc_targets["customer"])
    return [
        grpc_api.binding(OrderHandlers(uow, customers)),
        opportunities_api.binding(OpportunityHandlers(uow, customers)),
        activities_api.binding(ActivityHandlers(uow)),
        teams_api.binding(TeamHandlers(uow)),
        leads_api.binding(LeadHandlers(uow, customers)),
        quotes_api.binding(
            QuoteHandlers(
                uow,
                price_lists(wiring.settings),
                approval_threshold=wiring.settings.discount_approval_percent,
            )
        ),
        expenses_api.binding(ExpenseHandlers(uow)),
        performance_api.binding(PerformanceHandlers(uow)),
        privacy.binding(SERVICE_NAME, uow, privacy.collect_records),
    ]


def price_lists(settings: SalesSettings) -> PriceLists:
    """Marketing's price lists once the registry's sales entry calls marketing."""
    if "marketing" not in registry.service(SERVICE_NAME).calls:
        return NoPriceLists()
    return GrpcPriceLists.connect(settings.grpc_targets["marketing"])


SERVICE = Service(
    name=SERVICE_NAME,
    migrations=MIGRATIONS_DIR,
    unit_of_work=SqlUnitOfWork,
    grpc=grpc_services,
    policy=POLICY,
    settings=SalesSettings,
    consumer=HANDLERS,
    commands={"rebuild-win-models": rebuild_win_models_command},
)
