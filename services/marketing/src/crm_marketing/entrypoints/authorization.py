"""Who may call which method of the marketing service's gRPC services: the
`(crm.common.v1.access)` options in proto/crm/marketing/v1, the one declaration the gateway
reads too. The domain then checks who may change what."""

from __future__ import annotations

from crm_platform.access import policy_of
from crm_platform.privacy import PERSONAL_DATA
from crm_proto.crm.marketing.v1 import (
    campaigns_pb2,
    catalog_pb2,
    contacts_pb2,
    forms_pb2,
    pricing_pb2,
)

POLICY = policy_of(
    catalog_pb2.DESCRIPTOR.services_by_name["CatalogService"],
    pricing_pb2.DESCRIPTOR.services_by_name["PricingService"],
    forms_pb2.DESCRIPTOR.services_by_name["FormService"],
    contacts_pb2.DESCRIPTOR.services_by_name["ContactService"],
    campaigns_pb2.DESCRIPTOR.services_by_name["CampaignService"],
    campaigns_pb2.DESCRIPTOR.services_by_name["TrackingService"],
    PERSONAL_DATA,
)
