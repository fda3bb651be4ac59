"""Who may call which method of IdentityService: read from the `(crm.common.v1.access)`
options of identity.proto, the one declaration the gateway reads too. The token, revocation,
public-key and registration methods are public; the rest is for admins (role admin, or a
machine client with the scope identity:admin)."""

from __future__ import annotations

from crm_platform.access import policy_of
from crm_platform.auth import Policy
from crm_platform.privacy import PERSONAL_DATA

from crm_identity.entrypoints.grpc_api import SERVICE


def policy() -> Policy:
    return policy_of(SERVICE, PERSONAL_DATA)
