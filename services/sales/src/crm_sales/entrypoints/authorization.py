"""Who may call which method of SalesService: the `(crm.common.v1.access)` options in
sales.proto, the one declaration the gateway reads too. The service layer then limits
customers to their own orders and sales reps to theirs, and the order's workflow says who may
take each step."""

from __future__ import annotations

from crm_platform.access import policy_of
from crm_proto.crm.sales.v1 import sales_pb2

POLICY = policy_of(sales_pb2.DESCRIPTOR.services_by_name["SalesService"])
