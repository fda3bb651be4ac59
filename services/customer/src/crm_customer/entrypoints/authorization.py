"""Who may call which method of CustomerService: the `(crm.common.v1.access)` options in
customer.proto, the one declaration the gateway reads too (docs/decisions/0005-access-tokens.md).
The service layer then limits customers to their own record and timeline, and partner users to
the records assigned to their partner (service_layer/access.py,
docs/decisions/0006-partner-assignment.md)."""

from __future__ import annotations

from crm_platform.access import policy_of
from crm_platform.privacy import PERSONAL_DATA
from crm_proto.crm.customer.v1 import customer_pb2, erasure_pb2, imports_pb2, loyalty_pb2

POLICY = policy_of(
    customer_pb2.DESCRIPTOR.services_by_name["CustomerService"],
    loyalty_pb2.DESCRIPTOR.services_by_name["LoyaltyService"],
    imports_pb2.DESCRIPTOR.services_by_name["CustomerImportService"],
    imports_pb2.DESCRIPTOR.services_by_name["DuplicateReviewService"],
    erasure_pb2.DESCRIPTOR.services_by_name["ErasureService"],
    PERSONAL_DATA,
)
