"""The marketing service's declaration: what the chassis wires together for it."""

from __future__ import annotations

from crm_platform import privacy
from crm_platform.grpc_server import ServiceBinding
from crm_platform.service import Service, Wiring

from crm_marketing.adapters.directory import GrpcSegmentMembers
from crm_marketing.adapters.unit_of_work import SqlUnitOfWork
from crm_marketing.config import MIGRATIONS_DIR, SERVICE_NAME, MarketingSettings
from crm_marketing.entrypoints import (
    campaigns_api,
    catalog_api,
    contacts_api,
    forms_api,
    pricing_api,
    sender,
)
from crm_marketing.entrypoints.authorization import POLICY
from crm_marketing.entrypoints.consumer import HANDLERS
from crm_marketing.entrypoints.mail_sink_command import mail_sink_command
from crm_marketing.service_layer.campaigns import CampaignHandlers, TrackingHandlers
from crm_marketing.service_layer.catalog import CatalogHandlers
from crm_marketing.service_layer.contacts import ContactQueries
from crm_marketing.service_layer.forms import FormHandlers


def grpc_services(wiring: Wiring[MarketingSettings, SqlUnitOfWork]) -> list[ServiceBinding]:
    settings = wiring.settings
    catalog = CatalogHandlers(wiring.unit_of_work)
    links = sender.links_of(settings)
    segments = GrpcSegmentMembers.connect(settings.grpc_targets["analytics"])
    campaigns = CampaignHandlers(wiring.unit_of_work, segments, links)
    tracking = TrackingHandlers(wiring.unit_of_work, links)
    return [
        catalog_api.binding(catalog),
        pricing_api.binding(catalog),
        forms_api.binding(FormHandlers(wiring.unit_of_work)),
        contacts_api.binding(ContactQueries(wiring.unit_of_work)),
        *campaigns_api.bindings(campaigns, tracking),
        privacy.binding(SERVICE_NAME, wiring.unit_of_work, privacy.collect_records),
    ]


SERVICE = Service(
    name=SERVICE_NAME,
    migrations=MIGRATIONS_DIR,
    unit_of_work=SqlUnitOfWork,
    settings=MarketingSettings,
    grpc=grpc_services,
    policy=POLICY,
    consumer=HANDLERS,
    clear_read_model=lambda uow: uow.contacts.clear(),  # gives it `crm-marketing rebuild`
    commands={"mail-sink": mail_sink_command},
    workers={"sender": sender.worker},
)
