"""The customer service's declaration: what the chassis wires together for it."""

from __future__ import annotations

from crm_platform.grpc_server import ServiceBinding
from crm_platform.privacy import personal_data_services
from crm_platform.service import Service, Wiring

from crm_customer.adapters.unit_of_work import SqlUnitOfWork
from crm_customer.config import MIGRATIONS_DIR, SERVICE_NAME, CustomerSettings, loyalty_program
from crm_customer.entrypoints import erasure_api, grpc_api, importer, imports_api, loyalty_api
from crm_customer.entrypoints.authorization import POLICY
from crm_customer.entrypoints.consumer import HANDLERS
from crm_customer.entrypoints.expire_points_command import expire_points_command
from crm_customer.entrypoints.export_command import export_command
from crm_customer.entrypoints.import_command import import_command
from crm_customer.service_layer.duplicate_review import DuplicateReview
from crm_customer.service_layer.erasure import ErasureHandlers
from crm_customer.service_layer.handlers import CustomerHandlers
from crm_customer.service_layer.import_jobs import ImportHandlers
from crm_customer.service_layer.loyalty import LoyaltyHandlers


def grpc_services(wiring: Wiring[CustomerSettings, SqlUnitOfWork]) -> list[ServiceBinding]:
    handlers = CustomerHandlers(
        wiring.unit_of_work, phone_region=wiring.settings.default_phone_region
    )
    loyalty = LoyaltyHandlers(wiring.unit_of_work, loyalty_program())
    return [
        grpc_api.binding(handlers),
        loyalty_api.binding(loyalty),
        *imports_api.bindings(
            ImportHandlers(wiring.unit_of_work), DuplicateReview(wiring.unit_of_work)
        ),
        *erasure_api.bindings(ErasureHandlers(wiring.unit_of_work, personal_data_services())),
    ]


SERVICE = Service(
    name=SERVICE_NAME,
    settings=CustomerSettings,
    migrations=MIGRATIONS_DIR,
    unit_of_work=SqlUnitOfWork,
    grpc=grpc_services,
    policy=POLICY,
    consumer=HANDLERS,
    commands={
        "import": import_command,
        "export": export_command,
        "expire-points": expire_points_command,
    },
    workers={"importer": importer.worker},
)
