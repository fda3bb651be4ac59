"""The marketing service's declaration: what the chassis wires together for it."""

from __future__ import annotations

from crm_platform.grpc_server import ServiceBinding
from crm_platform.service import Service, Wiring
from crm_platform.settings import ServiceSettings

from crm_marketing.adapters.unit_of_work import SqlUnitOfWork
from crm_marketing.config import MIGRATIONS_DIR, SERVICE_NAME
from crm_marketing.entrypoints import catalog_api, contacts_api, forms_api, pricing_api
from crm_marketing.entrypoints.authorization import POLICY
from crm_marketing.entrypoints.consumer import HANDLERS
from crm_marketing.service_layer.catalog import CatalogHandlers
from crm_marketing.service_layer.contacts import ContactQueries
from crm_marketing.service_layer.forms import FormHandlers


def grpc_services(wiring: Wiring[ServiceSettings, SqlUnitOfWork]) -> list[ServiceBinding]:
    catalog = CatalogHandlers(wiring.unit_of_work)
    return [
        catalog_api.binding(catalog),
        pricing_api.binding(catalog),
        forms_api.binding(FormHandlers(wiring.unit_of_work)),
        contacts_api.binding(ContactQueries(wiring.unit_of_work)),
    ]


SERVICE = Service(
    name=SERVICE_NAME,
    migrations=MIGRATIONS_DIR,
    unit_of_work=SqlUnitOfWork,
    grpc=grpc_services,
    policy=POLICY,
    consumer=HANDLERS,
    clear_read_model=lambda uow: uow.contacts.clear(),  # gives it `crm-marketing rebuild`
)
