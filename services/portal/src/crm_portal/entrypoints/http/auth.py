"""Authentication seam: who is calling, decided once per request to a protected route.

`authenticate` reads `Authorization: Bearer <jwt>` and has the app's token verifier (a
`crm_platform.auth.TokenVerifier` over the portal's own signing keys, set by the bootstrap)
check signature, kid, iss, aud and exp; a bad token raises `crm_platform.errors.Unauthenticated`
(-> 401 problem). The principal keeps the token, which the gRPC client forwards to the services
as `authorization` metadata so that they verify it again. Without a header, or on an app
without a verifier, the caller is anonymous (and protected routes answer 401).
"""

from __future__ import annotations

from crm_platform.auth import KeysUnavailable, TokenVerifier, bearer_token
from crm_platform.context import Principal
from crm_proto.crm.common.v1 import common_pb2
from flask import Flask, Request, current_app

ANONYMOUS = Principal(subject="anonymous", kind=common_pb2.ACTOR_KIND_UNSPECIFIED)
VERIFIER_KEY = "crm_portal.token_verifier"


def use_verifier(app: Flask, verifier: TokenVerifier) -> None:
    app.extensions[VERIFIER_KEY] = verifier


def keys_known() -> bool:
    """Whether the verifier knows the signing keys (an app without one needs none)."""
    verifier: TokenVerifier | None = current_app.extensions.get(VERIFIER_KEY)
    if verifier is None:
        return True
    try:
        verifier.keys.check()
    except KeysUnavailable:
        return False
    return True


def authenticate(request: Request) -> Principal:
    verifier: TokenVerifier | None = current_app.extensions.get(VERIFIER_KEY)
    header = request.headers.get("Authorization")
    if verifier is None or header is None:
        return ANONYMOUS
    return verifier.verify(bearer_token(header))
