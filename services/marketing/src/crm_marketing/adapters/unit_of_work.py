"""The marketing service's unit of work: the chassis transaction plus its repositories, whose
aggregates' events the chassis writes to the outbox at commit."""

from __future__ import annotations

from typing import Any, Self

from crm_platform.privacy import SqlErasureLog, SqlPersonalRecords
from crm_platform.uow import UnitOfWork
from crm_proto.crm.common.v1 import common_pb2
from google.protobuf.message import Message

from crm_marketing.adapters.campaigns_repository import (
    SqlCampaignRepository,
    SqlInvalidAddresses,
    SqlRecipientRepository,
)
from crm_marketing.adapters.catalog_repository import (
    SqlCustomerTiers,
    SqlPriceListRepository,
    SqlProductRepository,
)
from crm_marketing.adapters.contacts_repository import SqlContactRepository
from crm_marketing.adapters.event_mapping import to_message
from crm_marketing.adapters.forms_repository import SqlFormRepository, SqlSubmissionRepository
from crm_marketing.adapters.orm import personal_data_erasures
from crm_marketing.adapters.privacy_repository import personal_records


class SqlUnitOfWork(UnitOfWork):
    products: SqlProductRepository
    price_lists: SqlPriceListRepository
    customer_tiers: SqlCustomerTiers
    forms: SqlFormRepository
    submissions: SqlSubmissionRepository
    contacts: SqlContactRepository
    campaigns: SqlCampaignRepository
    recipients: SqlRecipientRepository
    invalid_addresses: SqlInvalidAddresses
    erasures: SqlErasureLog
    personal_data: SqlPersonalRecords

    def __enter__(self) -> Self:
        super().__enter__()
        self.products = SqlProductRepository(self.session, self.track)
        self.price_lists = SqlPriceListRepository(self.session, self.track)
        self.customer_tiers = SqlCustomerTiers(self.session)
        self.forms = SqlFormRepository(self.session, self.track)
        self.submissions = SqlSubmissionRepository(self.session, self.track)
        self.contacts = SqlContactRepository(self.session)
        self.campaigns = SqlCampaignRepository(self.session, self.track)
        self.recipients = SqlRecipientRepository(self.session, self.track)
        self.invalid_addresses = SqlInvalidAddresses(self.session)
        self.erasures = SqlErasureLog(self.session, personal_data_erasures)
        self.personal_data = personal_records(self.session)
        return self

    def outbox_message(self, event: Any, actor: common_pb2.Actor) -> tuple[Message, str]:
        # every event is about one record (a product, a price list, a captured lead, a campaign)
        return to_message(event, actor), str(event.subject_id)
