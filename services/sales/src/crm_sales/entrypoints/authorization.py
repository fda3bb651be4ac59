"""Who may call which method of the sales service's gRPC services: the `(crm.common.v1.access)`
options in proto/crm/sales/v1, the one declaration the gateway reads too. The service layer then
limits each caller to the records they may see (service_layer/visibility.py), and each
aggregate says who may take which step."""

from __future__ import annotations

from crm_platform.access import policy_of
from crm_platform.privacy import PERSONAL_DATA
from crm_proto.crm.sales.v1 import (
    activities_pb2,
    expenses_pb2,
    leads_pb2,
    opportunities_pb2,
    performance_pb2,
    quotes_pb2,
    sales_pb2,
    teams_pb2,
)

POLICY = policy_of(
    sales_pb2.DESCRIPTOR.services_by_name["SalesService"],
    activities_pb2.DESCRIPTOR.services_by_name["ActivityService"],
    quotes_pb2.DESCRIPTOR.services_by_name["QuoteService"],
    expenses_pb2.DESCRIPTOR.services_by_name["ExpenseService"],
    performance_pb2.DESCRIPTOR.services_by_name["PerformanceService"],
    teams_pb2.DESCRIPTOR.services_by_name["TeamService"],
    leads_pb2.DESCRIPTOR.services_by_name["LeadService"],
    opportunities_pb2.DESCRIPTOR.services_by_name["OpportunityService"],
    PERSONAL_DATA,
)
