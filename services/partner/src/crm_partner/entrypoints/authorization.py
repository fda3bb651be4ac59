"""Who may call which method of the partner service: the `(crm.common.v1.access)` options in
proto/crm/partner/v1, the one declaration the gateway reads too. The handlers then limit a
partner user to their own partner's records, and each aggregate says who may take which
step."""

from __future__ import annotations

from crm_platform.access import policy_of
from crm_proto.crm.partner.v1 import partner_pb2

POLICY = policy_of(partner_pb2.DESCRIPTOR.services_by_name["PartnerService"])
