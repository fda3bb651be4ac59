"""Authentication seam: who is calling, decided once per /api request.

`authenticate` is the one place that will verify tokens (the identity issue): read the
`Authorization: Bearer <jwt>` header, verify signature, iss, aud and exp against the portal's
JWKS, raise `crm_platform.errors.Unauthenticated` (-> 401 problem) when that fails, and return
the principal with its subject, kind, roles and the token itself, which the gRPC client forwards
to the services as `authorization` metadata so that they verify it again.
"""

from __future__ import annotations

from crm_platform.context import Principal
from crm_proto.crm.common.v1 import common_pb2
from flask import Request

ANONYMOUS = Principal(subject="anonymous", kind=common_pb2.ACTOR_KIND_UNSPECIFIED)


def authenticate(request: Request) -> Principal:
    """Until token verification arrives, every caller is anonymous (and carries no token)."""
    return ANONYMOUS
